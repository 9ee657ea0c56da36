// Test helpers the domain packages share (not part of the runtime API): a KV port that fails on cue.
export * from './kv-faults.js';
