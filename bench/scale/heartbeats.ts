// Agent heartbeats at two fleet sizes: nodes send heartbeats with the space of their exports (as a Homeport
// agent does every time), a few in flight, in turn, for a fixed time; the figure is what one heartbeat from
// every node costs the server (nodes ÷ heartbeats per second). Ten times the nodes should cost ten times
// that: a heartbeat's work is its own node's exports, whatever the size of the fleet.

import { formatNumber } from '../lib/table.js';
import type { BenchmarkContext } from '../lib/types.js';
import { runLoad } from '../store/load.js';
import type { ScaleRow } from './growth.js';
import { SEEDED_SPACE } from './seed.js';
import type { ScaleServer } from './servers.js';

/** Heartbeats in flight: a few agents reporting at the same moment. */
export const HEARTBEATS_IN_FLIGHT = 4;
/**
 * Rounds, the servers taking turns. The server allows a node 1,200 requests a minute: the small fleet's 20
 * nodes stay under it at up to ~900 heartbeats/s over two rounds of the default durations.
 */
const ROUNDS = 2;

type FleetNode = ScaleServer['nodes'][number];

async function heartbeat(url: string, node: FleetNode): Promise<void> {
  const response = await fetch(`${url}/api/v1/nodes/${node.id}/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      nodeId: node.id,
      status: 'online',
      lastSeenAt: new Date().toISOString(),
      exports: node.exportIds.map((exportId) => ({ exportId, ...SEEDED_SPACE })),
    }),
  });
  if (response.status !== 204)
    throw new Error(`heartbeat of ${node.id}: HTTP ${response.status} ${await response.text()}`);
}

/** Heartbeats from the fleet's nodes in turn, closed loop; heartbeats per second. */
async function load(server: ScaleServer, durationSec: number): Promise<number> {
  let next = 0;
  const result = await runLoad({
    concurrency: HEARTBEATS_IN_FLIGHT,
    durationSec,
    operation: async () => {
      const node = server.nodes[next % server.nodes.length] as FleetNode; // an index below length
      next += 1;
      await heartbeat(server.homeport.url, node);
    },
  });
  return result.callsPerSec;
}

const middle = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function measureHeartbeats(
  context: BenchmarkContext,
  servers: readonly ScaleServer[],
): Promise<ScaleRow[]> {
  context.log(
    `fleet heartbeats: the nodes in turn, each heartbeat with the space of its node's exports, ${HEARTBEATS_IN_FLIGHT} in flight, ${context.durationSec}s after a ${context.warmupSec}s warm-up, ${ROUNDS} rounds, servers taking turns`,
  );
  const rates = new Map<string, number[]>(servers.map((server) => [server.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let step = 0; step < servers.length; step += 1) {
      const server = servers[(round + step) % servers.length] as ScaleServer; // index below length
      // The first warm-up also turns the seeded offline nodes online (a status event each).
      await load(server, context.warmupSec);
      const rate = await load(server, context.durationSec);
      context.log(`  ${server.name}-${round + 1}: ${formatNumber(rate)} heartbeats/s`);
      rates.get(server.name)?.push(rate);
    }
  }
  return servers.map((server) => {
    const rounds = rates.get(server.name) ?? [];
    const rate = middle(rounds);
    const fleetMs = (server.nodes.length * 1000) / rate;
    const perNode = Math.round(server.plan.exports / server.nodes.length);
    return {
      work: `one heartbeat from every node (space of its ${perNode} exports), ${HEARTBEATS_IN_FLIGHT} in flight`,
      size: server.nodes.length,
      sizeLabel: `${server.nodes.length} nodes (${formatNumber(server.plan.exports)} exports)`,
      value: fleetMs,
      unit: 'ms',
      cost: fleetMs,
      detail: `nodes ÷ heartbeats/s; ${formatNumber(rate)} heartbeats/s (rounds: ${rounds.map((value) => formatNumber(value)).join(', ')}), ${formatNumber(1000 / rate, 2)} ms each`,
    };
  });
}
