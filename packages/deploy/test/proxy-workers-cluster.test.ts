// node:cluster is process-wide: one Homeport process can run the NAS agent's WebDAV workers and the proxy
// workers at once. Each pool forks with its own entry, restarts only its own workers, and the two never share
// a listening handle (cluster would hand a second pool's port-0 listen the first pool's port). The WebDAV pool
// is imported from the nas package's sources: only this test puts the two domain packages in one process, as
// the composition root does.

import { Agent } from 'node:http';
import { createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareDavState } from '../../nas/src/agent/dav-handlers.js';
import { type DavWorkerFront, davWorkerPool } from '../../nas/src/agent/workers/worker-pool.js';
import { send, startNamedUpstream } from './proxy-support.js';
import { alive, startPool } from './proxy-workers-support.js';

afterAll(() => removeTempDirs());

const HOST = 'app.example.com';

describe('proxy workers beside WebDAV workers in one process', () => {
  it('serve their own ports and each pool replaces only its own killed worker', async () => {
    const davLines: Record<string, unknown>[] = [];
    const stateDir = tempDir('homeport-dav-beside-proxy-');
    prepareDavState(stateDir);
    const dav = davWorkerPool({
      count: 2,
      exports: [],
      stateDir,
      log: createLogger({
        level: 'info',
        destination: { write: (line: string) => davLines.push(JSON.parse(line) as Record<string, unknown>) },
      }),
    })({ onUnknownKey: () => undefined }) as DavWorkerFront;
    const blue = await startNamedUpstream('blue');
    // Both on port 0 of the same address: the case where node:cluster would share one handle.
    const davAt = await dav.listen(0, '127.0.0.1');
    const p = await startPool();
    try {
      await p.pool.setRoute(HOST, {
        upstream: blue.url,
        stage: 'app/production',
        release: 'r1',
        color: 'blue',
      });
      expect(p.port).not.toBe(davAt.port);
      const agent = new Agent({ keepAlive: false });
      const check = async () => {
        const proxied = await Promise.all(Array.from({ length: 12 }, () => send(p.port, HOST, { agent })));
        for (const answer of proxied) expect(answer.headers['x-upstream']).toBe('blue');
        const served = await Promise.all(Array.from({ length: 12 }, () => send(davAt.port, HOST, { agent })));
        for (const answer of served) expect(answer.headers['x-upstream']).toBeUndefined();
      };
      await check();

      const [davVictim] = dav.pids();
      const proxyPids = p.pool.pids();
      if (davVictim === undefined) throw new Error('no WebDAV worker');
      process.kill(davVictim, 'SIGKILL');
      await until(() => dav.pids().some((pid) => pid !== davVictim) && dav.pids().length === 2);
      await until(() => davLines.filter((line) => line.msg === 'webdav worker listening').length === 3);
      expect(p.pool.pids()).toEqual(proxyPids);
      expect(p.logged('proxy worker exited; restarting it')).toEqual([]);

      const davPids = dav.pids();
      const [proxyVictim] = proxyPids;
      if (proxyVictim === undefined) throw new Error('no proxy worker');
      process.kill(proxyVictim, 'SIGKILL');
      await until(() => p.logged('proxy worker listening').length === 3);
      expect(p.pool.pids()).toHaveLength(2);
      expect(p.pool.pids()).not.toContain(proxyVictim);
      expect(dav.pids()).toEqual(davPids);
      expect(davLines.filter((line) => line.msg === 'webdav worker exited; restarting it')).toHaveLength(1);
      await check();
    } finally {
      const all = [...dav.pids(), ...p.pool.pids()];
      await Promise.all([p.pool.close(), dav.close()]);
      await blue.close();
      for (const pid of all) expect(alive(pid)).toBe(false);
    }
    // Four worker processes start from the TypeScript sources (tsx), twice replaced: slow on a loaded machine.
  }, 90_000);
});
