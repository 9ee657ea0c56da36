// The replay guard (a bounded window of seen frame ids per room, and no ids from the future) and the ULIDs it
// reads time from.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createReplayGuard,
  createUlidFactory,
  endpointId,
  isUlid,
  MAX_FUTURE_MS,
  openFrame,
  REPLAY_WINDOW,
  sealFrame,
  ulidTime,
} from '../src/crypto/index.js';
import { vectorIdentity } from './vectors/load.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const idAt = (ms: number) => createUlidFactory({ now: () => ms })();

describe('replay guard', () => {
  it('refuses an id it recorded, in that room only', () => {
    const guard = createReplayGuard();
    const id = idAt(NOW);
    expect(guard.check('a', id, NOW)).toBe('fresh');
    guard.record('a', id);
    expect(guard.check('a', id, NOW)).toBe('replay');
    expect(guard.check('b', id, NOW)).toBe('fresh');
    guard.forgetRoom('a');
    expect(guard.check('a', id, NOW)).toBe('fresh');
  });

  it('records nothing on check; opening records only a frame that verified', () => {
    const alice = vectorIdentity('alice');
    const guard = createReplayGuard();
    const { frame, bytes } = sealFrame({
      roomId: 'r',
      epoch: 1,
      sender: alice,
      roomKey: null,
      sign: true,
      payload: new Uint8Array(3),
    });
    expect(guard.check('r', frame.id, Date.now())).toBe('fresh');
    expect(guard.size('r')).toBe(0);
    const options = {
      roomId: 'r',
      keyFor: () => undefined,
      senderSignPub: (id: string) => (id === endpointId(alice.signPub) ? alice.signPub : undefined),
      encrypted: false,
      signed: true,
      replay: guard,
      nowMs: Date.now(),
    };
    const forged = new TextEncoder().encode(
      JSON.stringify({ ...frame, signature: Buffer.alloc(64).toString('base64url') }),
    );
    expect(openFrame(forged, options)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(guard.size('r')).toBe(0);
    expect(openFrame(bytes, options).ok).toBe(true);
    expect(guard.size('r')).toBe(1);
    expect(openFrame(bytes, options)).toEqual({ ok: false, reason: 'replay' });
  });

  it('refuses ids more than five minutes ahead of now, by default and as configured', () => {
    const guard = createReplayGuard();
    expect(MAX_FUTURE_MS).toBe(300_000);
    expect(guard.check('r', idAt(NOW + MAX_FUTURE_MS), NOW)).toBe('fresh');
    expect(guard.check('r', idAt(NOW + MAX_FUTURE_MS + 1), NOW)).toBe('from_future');
    expect(guard.check('r', idAt(0), NOW)).toBe('fresh');
    const strict = createReplayGuard({ maxFutureMs: 1000 });
    expect(strict.check('r', idAt(NOW + 1001), NOW)).toBe('from_future');
  });

  it('holds at most windowSize ids per room, forgetting the oldest (its documented limit)', () => {
    const guard = createReplayGuard({ windowSize: 1000 });
    const next = createUlidFactory({ now: () => NOW });
    const ids = Array.from({ length: 250_000 }, () => next());
    for (const id of ids) guard.record('r', id);
    expect(guard.size('r')).toBe(1000);
    // Evicted: an id older than the window looks fresh again.
    expect(guard.check('r', ids[0] ?? '', NOW)).toBe('fresh');
    expect(guard.check('r', ids[ids.length - 1001] ?? '', NOW)).toBe('fresh');
    for (const id of ids.slice(-1000)) expect(guard.check('r', id, NOW)).toBe('replay');
    // Recording a remembered id again evicts nothing.
    guard.record('r', ids[ids.length - 1] ?? '');
    expect(guard.check('r', ids[ids.length - 1000] ?? '', NOW)).toBe('replay');
  });

  it('keeps the default window at 100,000 ids a room', () => {
    expect(REPLAY_WINDOW).toBe(100_000);
    const guard = createReplayGuard();
    const next = createUlidFactory({ now: () => NOW });
    for (let i = 0; i < 150_000; i++) guard.record('r', next());
    expect(guard.size('r')).toBe(100_000);
  });

  it('checks its options when made', () => {
    expect(() => createReplayGuard({ windowSize: 0 })).toThrow(RangeError);
    expect(() => createReplayGuard({ maxFutureMs: -1 })).toThrow(RangeError);
  });
});

describe('ULIDs', () => {
  it('encodes time as the ULID spec does (1469918176385 → 01ARYZ6S41)', () => {
    const zero = createUlidFactory({ now: () => 1469918176385, random: (n) => new Uint8Array(n) })();
    expect(zero).toBe('01ARYZ6S410000000000000000');
    const full = createUlidFactory({
      now: () => 1469918176385,
      random: (n) => new Uint8Array(n).fill(0xff),
    })();
    expect(full).toBe('01ARYZ6S41ZZZZZZZZZZZZZZZZ');
    expect(ulidTime(zero)).toBe(1469918176385);
  });

  it('carries any 48-bit time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        const id = idAt(ms);
        expect(isUlid(id)).toBe(true);
        expect(ulidTime(id)).toBe(ms);
      }),
      { numRuns: 200 },
    );
  });

  it('sorts by time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        (a, b) => {
          fc.pre(a !== b);
          expect(idAt(a) < idAt(b)).toBe(a < b);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays monotonic within a millisecond and when the clock steps back', () => {
    let now = NOW;
    const next = createUlidFactory({ now: () => now, random: (n) => new Uint8Array(n) });
    const a = next();
    const b = next();
    now -= 10_000;
    const c = next();
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
    expect(b.slice(-1)).toBe('1');
    expect(a < b && b < c).toBe(true);
    expect(ulidTime(c)).toBe(NOW);
  });

  it('moves to the next millisecond when the random part would overflow', () => {
    const next = createUlidFactory({ now: () => NOW, random: (n) => new Uint8Array(n).fill(0xff) });
    const a = next();
    const b = next();
    expect(ulidTime(b)).toBe(NOW + 1);
    expect(a < b).toBe(true);
  });

  it('accepts only canonical ULIDs', () => {
    const id = idAt(NOW);
    expect(isUlid(id)).toBe(true);
    for (const bad of [
      id.toLowerCase(),
      id.slice(1),
      `${id}0`,
      `8${id.slice(1)}`,
      `${id.slice(0, 25)}U`,
      `${id.slice(0, 25)}I`,
    ]) {
      expect(isUlid(bad)).toBe(false);
    }
    expect(() => ulidTime('nope')).toThrow();
  });
});
