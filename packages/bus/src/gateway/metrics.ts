// The gateway's metrics, in the server's registry: frames it could not open, room streams open now, those
// waiting for a room key, and the bus subscriptions behind them (one per room, whatever the stream count).

import { Counter, Gauge, type Registry } from 'prom-client';

export interface GatewayMetrics {
  decryptFailures: Counter<'reason'>;
  waitingForKey: Gauge;
  streams: Gauge;
  roomSubscriptions: Gauge;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    decryptFailures: new Counter({
      name: 'homeport_bus_decrypt_failures_total',
      help: 'Frames the browser gateway refused to show, by the check that failed (bad_signature, unknown_sender, no_key, decrypt_failed, replay, …)',
      labelNames: ['reason'],
      registers,
    }),
    waitingForKey: new Gauge({
      name: 'homeport_bus_waiting_for_key',
      help: 'Gateway room streams whose account holds no key for the epoch the room moved to yet',
      registers,
    }),
    streams: new Gauge({
      name: 'homeport_bus_gateway_streams',
      help: 'Room streams (Server-Sent Events) the browser gateway serves now on this replica',
      registers,
    }),
    roomSubscriptions: new Gauge({
      name: 'homeport_bus_gateway_room_subscriptions',
      help: 'Bus subscriptions the gateway holds on this replica: one per room with open streams, shared by all of them',
      registers,
    }),
  };
}
