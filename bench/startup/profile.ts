// Where start-up time goes, from a V8 CPU profile (`node --cpu-prof`) of one start: each sample up to the
// first 200 on /ready is put in one phase, by the original source of its frames (through the bundle's source
// maps) or by Node's module loader being on its stack.

import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Frames of Node's module loader: compiling and evaluating code (ours and every dependency's). */
const LOADER = new Set([
  'compileSourceTextModule',
  'loadAndTranslate',
  'evaluate',
  'wrapSafe',
  'Module._load',
  'Module._compile',
  'cjsPreparseModuleExports',
  'compileForInternalLoader',
  'instantiate',
  'link',
]);

/** Phases by original source file (first match from the innermost frame out). */
const PHASES: readonly [string, RegExp][] = [
  ['NATS (managed nats-server, identities, connect)', /@nats-io\/|tweetnacl|core\/src\/nats\//],
  [
    'route schemas (Ajv, fast-json-stringify)',
    /\/ajv\/|fast-json-stringify|ajv-compiler|json-schema|fast-uri|body-validation/,
  ],
  ['SQLite (open, migrations, statements)', /better-sqlite3|core\/src\/store\/sqlite|\/store\/sqlite-store/],
  ['first admin (argon2id hash)', /argon2|accounts\/src\/passwords|accounts\/src\/first-admin/],
  ['embedded NAS agent', /nas\/src\/agent\//],
  [
    'HTTP server (Fastify, plugins, routes)',
    /\/fastify\/|avvio|find-my-way|light-my-request|core\/src\/http\//,
  ],
];

export const LOADING = 'loading code (compile + evaluate modules)';
const OTHER = 'other Homeport code and Node';

export interface PhaseTimes {
  /** Milliseconds per phase, in the profile's own clock (profiling slows the process a little). */
  phases: Map<string, number>;
  totalMs: number;
}

function sourceMaps(): (frame: CallFrame) => string {
  const maps = new Map<string, SourceMap | undefined>();
  return (frame) => {
    if (!frame.url.startsWith('file://')) return frame.url;
    let map = maps.get(frame.url);
    if (!maps.has(frame.url)) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(frame.url)}.map`, 'utf8')));
      } catch {
        // A file without a map (a dependency loaded from node_modules): its own path says enough.
        map = undefined;
      }
      maps.set(frame.url, map);
    }
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
      | { originalSource?: string }
      | undefined;
    return entry?.originalSource ?? frame.url;
  };
}

function phaseOf(stack: readonly CallFrame[], original: (frame: CallFrame) => string): string {
  const leaf = stack[0]?.functionName;
  if (leaf === '(garbage collector)') return 'garbage collection';
  if (leaf === '(idle)') return 'idle (waiting on child processes, I/O, the thread pool)';
  if (stack.some((frame) => LOADER.has(frame.functionName) && !frame.url.startsWith('file://')))
    return LOADING;
  for (const frame of stack) {
    const source = original(frame);
    const phase = PHASES.find(([, pattern]) => pattern.test(source));
    if (phase) return phase[0];
  }
  return OTHER;
}

/** Reads the one profile in `dir` and splits its first `untilMs` into phases. */
export function phasesOfProfile(dir: string, untilMs: number): PhaseTimes {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const original = sourceMaps();
  const phases = new Map<string, number>();
  let elapsed = 0;
  for (const [index, sampleId] of profile.samples.entries()) {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    if (elapsed + delta > untilMs) break;
    elapsed += delta;
    const stack: CallFrame[] = [];
    for (let id: number | undefined = sampleId; id !== undefined; id = parentOf.get(id)) {
      const node = byId.get(id);
      if (node) stack.push(node.callFrame);
    }
    const phase = phaseOf(stack, original);
    phases.set(phase, (phases.get(phase) ?? 0) + delta);
  }
  return { phases, totalMs: elapsed };
}
