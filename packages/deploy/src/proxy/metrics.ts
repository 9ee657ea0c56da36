// Per-stage proxy metrics: requests by status class and time to the upstream's response headers. Health
// probes are left out (the route's excludePaths) so a stage's numbers are its users' requests.

import { Counter, Histogram, type Registry } from 'prom-client';

/** The stage label of requests no route matched: a fixed value, never the (attacker-chosen) Host. */
export const UNROUTED_STAGE = '_unrouted';

export interface ProxyMetrics {
  request(stage: string, status: number): void;
  upstreamLatency(stage: string, seconds: number): void;
}

export function createProxyMetrics(registry: Registry | undefined): ProxyMetrics {
  if (registry === undefined) return { request() {}, upstreamLatency() {} };
  const registers = [registry];
  const requests = new Counter({
    name: 'homeport_proxy_requests_total',
    help: 'Requests the built-in proxy answered, by stage and status class (2xx, 3xx, 4xx, 5xx); health probes excluded',
    labelNames: ['stage', 'status_class'],
    registers,
  });
  const latency = new Histogram({
    name: 'homeport_proxy_upstream_duration_seconds',
    help: 'Time from dispatching a request to the upstream to its response headers, by stage',
    labelNames: ['stage'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  // The labelled children are kept per stage: prom-client hashes the label set on every inc/observe otherwise,
  // which shows in the proxy's per-request cost. Stages are few (a label per stage, never per Host).
  const counters = new Map<string, ReturnType<typeof requests.labels>>();
  const histograms = new Map<string, ReturnType<typeof latency.labels>>();
  return {
    request(stage, status) {
      const key = `${stage}\u0000${Math.floor(status / 100)}`;
      let child = counters.get(key);
      if (child === undefined) {
        child = requests.labels({ stage, status_class: `${Math.floor(status / 100)}xx` });
        counters.set(key, child);
      }
      child.inc();
    },
    upstreamLatency(stage, seconds) {
      let child = histograms.get(stage);
      if (child === undefined) {
        child = latency.labels({ stage });
        histograms.set(stage, child);
      }
      child.observe(seconds);
    },
  };
}
