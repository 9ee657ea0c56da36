// NATS health in /metrics: whether the managed server answers, how often it was restarted, and whether
// Homeport's connection is up.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Metrics } from '../metrics.js';

export interface NatsMetrics {
  up: Gauge;
  restarts: Counter;
  connected: Gauge;
}

/** A metric registered once per registry: a second managed start in the same process reuses it. */
function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make(); // registered by this function only
}

export function natsMetrics(metrics: Metrics): NatsMetrics {
  const registers = [metrics.registry];
  return {
    up: once(
      metrics.registry,
      'homeport_nats_up',
      () =>
        new Gauge({
          name: 'homeport_nats_up',
          help: 'Whether the managed nats-server answers its health check (1) or not (0)',
          registers,
        }),
    ),
    restarts: once(
      metrics.registry,
      'homeport_nats_restarts_total',
      () =>
        new Counter({
          name: 'homeport_nats_restarts_total',
          help: 'Restarts of the managed nats-server after it died unexpectedly',
          registers,
        }),
    ),
    connected: once(
      metrics.registry,
      'homeport_nats_connected',
      () =>
        new Gauge({
          name: 'homeport_nats_connected',
          help: "Whether Homeport's NATS connection is up (1) or reconnecting (0)",
          registers,
        }),
    ),
  };
}
