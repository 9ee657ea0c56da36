// GET /api/v1/auth/me with a session, on a Homeport whose store is JetStream KV (one nats-server) and on one
// whose store is SQLite, against the bare Fastify peer, all measured with wrk the way bench/http does it.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startHomeport } from '@homeport/testkit';
import { startFastifyPeer } from '../lib/fastify-peer.js';
import { logIn } from '../lib/homeport-session.js';
import type { BenchmarkContext, Figure } from '../lib/types.js';
import type { WrkResult } from '../lib/wrk.js';
import { latencyDetail, measure, median, roundsOf } from '../lib/wrk-rounds.js';

/** bench/http's throughput load. */
const THROUGHPUT = { threads: 2, connections: 64 } as const;
const ROUNDS = 3;

type Target = 'kv' | 'sqlite' | 'peer';

export async function measureMe(context: BenchmarkContext, natsUrl: string): Promise<Figure[]> {
  // Default logging, as in bench/http; only the destination is a file, so this process never reads it.
  // No embedded agent: its heartbeats come from 127.0.0.1 like wrk's 64 connections, and the 65th
  // connection from one address makes the server close the oldest idle one — a wrk socket, a read error.
  const common = { HOMEPORT_RATE_LIMIT_MAX: '0', HOMEPORT_EMBEDDED_AGENT: 'false' };
  const kvEnv = {
    ...common,
    HOMEPORT_STORE: 'kv',
    HOMEPORT_NATS_URL: natsUrl,
    HOMEPORT_SECRET_KEY: randomBytes(32).toString('base64url'),
  };
  const [kv, sqlite, peer] = await Promise.all([
    startHomeport({ env: kvEnv, logFile: join(context.workDir, 'homeport-kv.log') }),
    startHomeport({ env: common, logFile: join(context.workDir, 'homeport-sqlite.log') }),
    startFastifyPeer(),
  ]);
  context.log(
    `homeport (KV) ${kv.url} (pid ${kv.process.pid}): HOMEPORT_STORE=kv, HOMEPORT_NATS_URL=${natsUrl}, HOMEPORT_KV_REPLICAS unset (1), HOMEPORT_RATE_LIMIT_MAX=0, HOMEPORT_EMBEDDED_AGENT=false`,
  );
  context.log(
    `homeport (SQLite) ${sqlite.url} (pid ${sqlite.process.pid}): HOMEPORT_RATE_LIMIT_MAX=0, HOMEPORT_EMBEDDED_AGENT=false`,
  );
  context.log(`peer-fastify ${peer.url} (pid ${peer.process.pid}), Fastify defaults, logger off`);
  try {
    const sessions = { kv: await logIn(kv), sqlite: await logIn(sqlite) };
    context.log(
      `wrk -t${THROUGHPUT.threads} -c${THROUGHPUT.connections} -d${context.durationSec}s after a ${context.warmupSec}s warm-up, GET /api/v1/auth/me with Authorization: Bearer:`,
    );
    const runs: Record<Target, WrkResult[]> = { kv: [], sqlite: [], peer: [] };
    const urls: Record<Target, string> = {
      peer: `${peer.url}/user`,
      kv: `${kv.url}/api/v1/auth/me`,
      sqlite: `${sqlite.url}/api/v1/auth/me`,
    };
    const headers: Record<Target, Record<string, string>> = {
      peer: {},
      kv: { Authorization: `Bearer ${sessions.kv.token}` },
      sqlite: { Authorization: `Bearer ${sessions.sqlite.token}` },
    };
    const order: readonly Target[] = ['peer', 'kv', 'sqlite'];
    // Rounds visit the three targets in turn, so a busy moment on the shared cores hits each of them, and
    // the order rotates, so each target runs once in each position: in four trial runs with a fixed order,
    // whichever Homeport came right after the peer was the faster of the two in three.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let step = 0; step < order.length; step += 1) {
        const target = order[(round + step) % order.length] as Target; // an index below order.length
        runs[target].push(
          await measure(context, {
            ...THROUGHPUT,
            name: `${target === 'peer' ? 'peer-fastify' : `me-${target}`}-${round + 1}`,
            url: urls[target],
            headers: headers[target],
          }),
        );
      }
    }
    const best = { kv: median(runs.kv), sqlite: median(runs.sqlite), peer: median(runs.peer) };
    const setup: Record<Target, string> = {
      kv: 'HOMEPORT_STORE=kv on one nats-server, rate limit off, no embedded agent',
      sqlite: 'SQLite (WAL), rate limit off, no embedded agent',
      peer: 'one process, Fastify defaults, no logger, no plugins',
    };
    const row = (label: string, target: Target): Figure => ({
      label,
      value: best[target].requestsPerSec,
      unit: 'req/s',
      detail: `${setup[target]}; ${latencyDetail(best[target])}; rounds: ${roundsOf(runs[target])}`,
    });
    return [
      row('GET /api/v1/auth/me (Bearer), KV store R1', 'kv'),
      row('GET /api/v1/auth/me (Bearer), SQLite store', 'sqlite'),
      row('peer: bare Fastify GET /user', 'peer'),
      {
        label: 'ratio me on KV / peer',
        value: best.kv.requestsPerSec / best.peer.requestsPerSec,
        unit: 'x',
        goal: { comparison: '>=', target: 0.3 },
      },
      {
        label: 'ratio me on SQLite / peer',
        value: best.sqlite.requestsPerSec / best.peer.requestsPerSec,
        unit: 'x',
        goal: { comparison: '>=', target: 0.5 },
      },
    ];
  } finally {
    await Promise.all([kv.process.stop(), sqlite.process.stop(), peer.process.stop()]);
  }
}
