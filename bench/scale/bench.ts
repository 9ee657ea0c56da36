// bench/scale: how the cost of a request grows with the work behind it — session lookups at 10, 1,000 and
// 100,000 users, GET /api/v1/exports at 10 and 10,000 exports, SSE delivery at 10, 100 and 1,000 clients —
// each step's growth per 10x of work, flagged when it is faster than linear.

import { formatNumber } from '../lib/table.js';
import type { Benchmark } from '../lib/types.js';
import { measureExports } from './exports.js';
import { type ScaleRow, scaleFigures, scaleTable } from './growth.js';
import { measureHeartbeats } from './heartbeats.js';
import { measureLookups } from './lookups.js';
import { SCALE_ENV, type ScaleServer, startSeeded } from './servers.js';
import { measureSse, SSE_INTERVAL_MS, SSE_PER_ADDRESS } from './sse-fanout.js';

const ROUNDS = 2;
const SSE_CLIENTS = [10, 100, 1_000] as const;
/**
 * Sessions the lookup figure rotates through: past the auth cache's 10,000 entries, so each request is a
 * store lookup at every user count (the 10-user server has 2,000 sessions per user).
 */
const ROTATED_SESSIONS = 20_000;

const SERVERS = [
  { name: 'users-10', plan: { users: 10, sessions: ROTATED_SESSIONS, nodes: 1, exports: 10 } },
  // 20 nodes × 50 exports: the small fleet of the heartbeat figure.
  { name: 'users-1k', plan: { users: 1_000, sessions: ROTATED_SESSIONS, nodes: 20, exports: 1_000 } },
  { name: 'users-100k', plan: { users: 100_000, sessions: 100_000, nodes: 0, exports: 0 } },
  // 200 nodes × 50: the export listing and the large fleet (an agent reports at most 256 exports).
  { name: 'exports-10k', plan: { users: 10, sessions: 10, nodes: 200, exports: 10_000 } },
] as const;

const byName = (servers: readonly ScaleServer[], name: string): ScaleServer => {
  const found = servers.find((server) => server.name === name);
  if (!found) throw new Error(`no server ${name}`);
  return found;
};

export const benchmark: Benchmark = {
  name: 'scale',
  description:
    'how cost grows with work: session lookups by users, GET /exports by exports, fleet heartbeats by nodes, SSE delivery by clients',
  async run(context) {
    context.log(
      `Homeports from the built bundle on SQLite: ${Object.entries(SCALE_ENV)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ')}; logging at its defaults into files`,
    );
    const servers = await startSeeded(context, SERVERS);
    try {
      const rows: ScaleRow[] = [];
      const users = ['users-10', 'users-1k', 'users-100k'].map((name) => byName(servers, name));
      rows.push(...(await measureLookups(context, users, ROUNDS)));
      const exports = ['users-10', 'exports-10k'].map((name) => byName(servers, name));
      rows.push(...(await measureExports(context, exports, ROUNDS)));
      const fleets = ['users-1k', 'exports-10k'].map((name) => byName(servers, name));
      rows.push(...(await measureHeartbeats(context, fleets)));

      const sseServer = byName(servers, 'users-10');
      context.log(
        `SSE: GET /api/v1/events?topics=accounts.users with the admin's session on ${sseServer.name}; user.updated events (PATCH /api/v1/users/{id} flipping a member's role) one at a time, the next once every client has the last, ${SSE_INTERVAL_MS} ms apart at least; ${SSE_PER_ADDRESS} streams per source address (the server caps 64 per address); ${context.durationSec}s after a ${context.warmupSec}s warm-up`,
      );
      for (const clients of SSE_CLIENTS) {
        const run = await measureSse(
          context,
          { url: sseServer.homeport.url, adminToken: sseServer.adminToken, triggerUserId: 'usr_scale000000' },
          clients,
        );
        const { summary } = run;
        if (summary.delivered < summary.expected || summary.ended > 0)
          throw new Error(
            `SSE ${clients} clients: ${summary.delivered} of ${summary.expected} delivered, ${summary.ended} streams ended by the server`,
          );
        rows.push({
          work: 'SSE event → every client (p99)',
          size: clients,
          sizeLabel: `${formatNumber(clients)} clients`,
          value: summary.p99,
          unit: 'ms',
          // The growth is judged on the median event's time to its last client: see DeliverySummary.
          cost: summary.lastClientP50,
          detail: `growth on the median event's time to its last client, ${summary.lastClientP50.toFixed(2)} ms; p50 ${summary.p50.toFixed(2)} ms, max ${summary.max.toFixed(2)} ms; from the event's own time p99 ${summary.p99FromAt.toFixed(1)} ms; ${formatNumber(summary.expected / clients)} events, ${formatNumber(summary.delivered)} deliveries; ${run.describe}`,
        });
      }
      context.log(`\nscale (each step compared with the one before it):\n${scaleTable(rows)}\n`);
      return scaleFigures(rows);
    } finally {
      await Promise.all(servers.map((server) => server.homeport.process.stop()));
    }
  },
};
