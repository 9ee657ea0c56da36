// Contract of log streams (seqs continuing, paging, the newest maxLines kept, removal) and of webhook event
// claims (once within their ttl, again after it).

import { describe, expect, it } from 'vitest';
import type { LogLine } from '../src/model.js';
import { MAX_LOG_LINE } from '../src/store/store-checks.js';
import type { Concurrently, Subject } from './store-contract.js';
import { at, CONTRACT_OPTIONS } from './store-contract-fixtures.js';

const lines = (from: number, count: number, stream: LogLine['stream'] = 'stdout') =>
  Array.from({ length: count }, (_, i) => ({ ts: at(from + i), stream, line: `line ${from + i}` }));
const deployLog = { kind: 'deploy', id: 'd1' } as const;
const runtimeLog = { kind: 'runtime', releaseId: 'r1' } as const;
const MAX_DEPLOY = CONTRACT_OPTIONS.maxDeployLogLines as number;
const MAX_RUNTIME = CONTRACT_OPTIONS.maxRuntimeLogLines as number;

export function logContract({ store, replica }: Subject, concurrently: Concurrently): void {
  describe('logs', () => {
    it('appends lines with seqs continuing the stream’s last, and pages them oldest first', async () => {
      expect(await store().logs.list(deployLog, 0, 10)).toEqual([]);
      await store().logs.append(deployLog, lines(1, 3, 'deploy'));
      await store().logs.append(deployLog, []);
      await store().logs.append(deployLog, [{ ts: at(9), stream: 'stderr', line: 'héllo ✓ 😀' }]);
      await store().logs.append(runtimeLog, lines(1, 2));
      expect(await store().logs.list(deployLog, 0, 10)).toEqual([
        { seq: 1, ts: at(1), stream: 'deploy', line: 'line 1' },
        { seq: 2, ts: at(2), stream: 'deploy', line: 'line 2' },
        { seq: 3, ts: at(3), stream: 'deploy', line: 'line 3' },
        { seq: 4, ts: at(9), stream: 'stderr', line: 'héllo ✓ 😀' },
      ]);
      expect((await store().logs.list(deployLog, 1, 2)).map((line) => line.seq)).toEqual([2, 3]);
      expect((await store().logs.list(deployLog, 3, 10)).map((line) => line.seq)).toEqual([4]);
      expect(await store().logs.list(deployLog, 4, 10)).toEqual([]);
      expect(await store().logs.list(deployLog, 0, 0)).toEqual([]);
      expect((await store().logs.list(runtimeLog, 0, 10)).map((line) => line.seq)).toEqual([1, 2]);
    });

    it('keeps the newest maxLines lines of a stream, each kind of stream with its own bound', async () => {
      // Many small appends, then one larger than the bound.
      for (let i = 0; i < 7; i++) await store().logs.append(deployLog, lines(i * 10 + 1, 10));
      const kept = await store().logs.list(deployLog, 0, 1_000);
      expect(kept).toHaveLength(MAX_DEPLOY);
      expect(kept[0]?.seq).toBe(70 - MAX_DEPLOY + 1);
      expect(kept.at(-1)).toMatchObject({ seq: 70, line: 'line 70' });
      expect((await store().logs.list(deployLog, 0, 5)).map((line) => line.seq)).toEqual([
        21, 22, 23, 24, 25,
      ]);
      expect((await store().logs.list(deployLog, 65, 10)).map((line) => line.seq)).toEqual([
        66, 67, 68, 69, 70,
      ]);

      await store().logs.append(runtimeLog, lines(1, 100));
      expect(await store().logs.list(runtimeLog, 0, 1_000)).toHaveLength(100);
      await store().logs.append(runtimeLog, lines(101, MAX_RUNTIME + 30));
      const runtime = await store().logs.list(runtimeLog, 0, 1_000);
      expect(runtime.map((line) => line.seq)).toEqual(
        Array.from({ length: MAX_RUNTIME }, (_, i) => 100 + 30 + i + 1),
      );
      expect(runtime.at(-1)?.line).toBe(`line ${100 + MAX_RUNTIME + 30}`);
    });

    it('cuts a line longer than the store keeps', async () => {
      await store().logs.append(deployLog, [
        { ts: at(1), stream: 'stdout', line: 'x'.repeat(MAX_LOG_LINE * 3) },
      ]);
      const [line] = await store().logs.list(deployLog, 0, 1);
      expect(line?.line.length).toBe(MAX_LOG_LINE);
      expect(line?.line.endsWith('…')).toBe(true);
    });

    it('removes a stream, and a stream written again starts from seq 1', async () => {
      await store().logs.append(deployLog, lines(1, 5));
      await store().logs.append(runtimeLog, lines(1, 5));
      await store().logs.remove(deployLog);
      expect(await store().logs.list(deployLog, 0, 10)).toEqual([]);
      expect(await store().logs.list(runtimeLog, 0, 10)).toHaveLength(5);
      await store().logs.append(deployLog, lines(7, 1));
      expect(await store().logs.list(deployLog, 0, 10)).toEqual([
        { seq: 1, ts: at(7), stream: 'stdout', line: 'line 7' },
      ]);
      await store().logs.remove({ kind: 'deploy', id: 'd_none' });
    });

    concurrently(() => {
      it('gives lines appended at once on two replicas distinct consecutive seqs, none lost', async () => {
        const other = await replica();
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store() : other).logs.append(runtimeLog, lines(i * 10, 5)),
          ),
        );
        const all = await store().logs.list(runtimeLog, 0, 1_000);
        expect(all.map((line) => line.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(new Set(all.map((line) => line.line)).size).toBe(30);
      });
    });
  });
}

export function webhookContract({ store, replica }: Subject, concurrently: Concurrently): void {
  describe('webhook event claims', () => {
    it('claims a key once within its ttl, and again once the ttl has passed', async () => {
      const ttl = 10 * 60_000;
      expect(await store().webhookEvents.claim('event-1:sha256:a', at(0), ttl)).toBe(true);
      expect(await store().webhookEvents.claim('event-1:sha256:a', at(1), ttl)).toBe(false);
      expect(await store().webhookEvents.claim('event-1:sha256:a', at(9), ttl)).toBe(false);
      expect(await store().webhookEvents.claim('event-2:sha256:a', at(9), ttl)).toBe(true);
      expect(await store().webhookEvents.claim('event-1:sha256:a', at(10), ttl)).toBe(true);
      expect(await store().webhookEvents.claim('event-1:sha256:a', at(15), ttl)).toBe(false);
      expect(await store().webhookEvents.claim('event-2:sha256:a', at(19), ttl)).toBe(true);
    });

    concurrently(() => {
      it('lets one of several replicas claim a key', async () => {
        const other = await replica();
        const claims = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store() : other).webhookEvents.claim('event-9', at(0), 60_000),
          ),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
