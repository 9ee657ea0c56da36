// The worker pool's bounds with a stand-in worker process (support/unresponsive-worker.mjs): a worker that
// does not confirm a new credential state in time is killed (it could go on admitting a revoked credential),
// one that ignores the stop is killed at the stop bound; and what HOMEPORT_DAV_WORKERS accepts.

import { fileURLToPath } from 'node:url';
import { Config, ConfigError, createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { davWorkerCount } from '../src/agent/embedded.js';
import { type DavWorkerFront, davWorkerPool } from '../src/agent/workers/worker-pool.js';
import { agentSettings } from '../src/settings.js';

const UNRESPONSIVE = fileURLToPath(new URL('./support/unresponsive-worker.mjs', import.meta.url));

afterAll(() => removeTempDirs());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('WebDAV worker pool', () => {
  it('kills a worker that does not confirm a new gate state in time, and one that ignores the stop', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const front = davWorkerPool({
      count: 1,
      exports: [],
      stateDir: tempDir('homeport-pool-'),
      log,
      ackTimeoutMs: 300,
      stopTimeoutMs: 300,
      entry: { exec: UNRESPONSIVE, execArgv: [] },
    })({ onUnknownKey: () => undefined }) as DavWorkerFront;
    await front.listen(0, '127.0.0.1');
    const [first] = front.pids();
    if (first === undefined) throw new Error('no worker');
    const started = Date.now();
    await front.apply({ keys: undefined, exportIds: new Map(), revoked: ['mount-revoked'] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(alive(first)).toBe(false);
    expect(lines.map((line) => line.msg)).toContain(
      'a webdav worker did not confirm the new credential state in time; killing it',
    );
    // Replaced after the backoff; the replacement gets the current state before it claims to listen.
    const second = await until(() => front.pids().find((pid) => pid !== first));
    await until(() => lines.filter((line) => line.msg === 'webdav worker listening').length === 2);
    await front.close();
    expect(alive(second)).toBe(false);
    expect(lines.map((line) => line.msg)).toContain(
      'webdav workers still busy at the stop bound; killing them',
    );
  });

  it('reads HOMEPORT_DAV_WORKERS as a count from 1 to 64 or auto (one per core, at most 8)', () => {
    const read = (value: string) => new Config({ env: { HOMEPORT_DAV_WORKERS: value } }).read(agentSettings);
    expect(new Config({ env: {} }).read(agentSettings).davWorkers).toBe(1);
    expect(read('3').davWorkers).toBe(3);
    expect(read('auto').davWorkers).toBe('auto');
    for (const bad of ['0', '65', 'two', '-1', '1.5']) expect(() => read(bad), bad).toThrow(ConfigError);
    expect(davWorkerCount('auto', 2)).toBe(2);
    expect(davWorkerCount('auto', 32)).toBe(8);
    expect(davWorkerCount('auto', 1)).toBe(1);
    expect(davWorkerCount(5, 2)).toBe(5);
  });
});
