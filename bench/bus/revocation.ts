// Revocation to disconnect: an admin revokes a connected member through the control plane
// (POST /api/v1/bus/users/{signPub}/revoke), timed until the nats-server closes that member's connection
// (the SDK's `disconnected` event, which fires when the socket closes, before any reconnect attempt).

import { BusClient, type BusClientEvent } from '@homeport/bus/client';
import { generateIdentity, signPubHex, toHex } from '@homeport/bus/crypto';
import type { BenchmarkContext } from '../lib/types.js';
import type { BusSetup } from './setup.js';

/** Give up on one sample after this long: far past the goal, so the figure still says MISSED. */
const SAMPLE_TIMEOUT_MS = 10_000;

export async function measureRevocations(
  context: BenchmarkContext,
  setup: BusSetup,
  samples: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const room = await setup.aliceClient.createRoom({ name: 'bench-revocation', policy: { persisted: false } });
  for (let i = 0; i < samples; i += 1) {
    const identity = generateIdentity();
    await setup.admin.users.add({
      signPub: signPubHex(identity),
      kexPub: toHex(identity.kexPub),
      handle: `revoked-${i}`,
    });
    let disconnectedAt: number | undefined;
    let notify: () => void = () => {};
    const disconnected = new Promise<void>((resolve) => {
      notify = resolve;
    });
    const member = BusClient.create({
      controlUrls: [setup.homeport.url],
      identity,
      onEvent: (event: BusClientEvent) => {
        if (event.type === 'disconnected' && disconnectedAt === undefined) {
          disconnectedAt = performance.now();
          notify();
        }
      },
    });
    try {
      // A member in a room, subscribed, as a real one would be.
      await setup.aliceClient.invite(room.id, signPubHex(identity));
      await member.subscribe(room.id, () => {});
      const started = performance.now();
      await setup.admin.users.revoke(signPubHex(identity));
      await Promise.race([disconnected, new Promise((resolve) => setTimeout(resolve, SAMPLE_TIMEOUT_MS))]);
      const latency = (disconnectedAt ?? Number.POSITIVE_INFINITY) - started;
      latencies.push(latency);
      context.log(
        `  revocation ${i + 1}: ${Number.isFinite(latency) ? `${latency.toFixed(0)} ms` : 'no disconnect in 10 s'}`,
      );
    } finally {
      // Its NATS client retries for ever against a server that refuses it: close, bounded.
      await Promise.race([member.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    }
  }
  return latencies;
}
