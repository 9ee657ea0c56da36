// Prometheus metrics: one registry per process (no global), with request, SSE and process metrics.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { createRequestDurations, type RequestDurations } from './request-durations.js';

export interface Metrics {
  registry: Registry;
  /** Request durations by method, matched route and status (homeport_http_request_duration_seconds). */
  httpDuration: RequestDurations;
  sseClients: Gauge;
  /** Runs of each once-per-cluster background job on this replica (summed over replicas: runs per cluster). */
  jobRuns: Counter<'job'>;
}

export interface MetricsOptions {
  /** Process metrics and event-loop lag; tests that build many apps turn it off. */
  collectProcess?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.collectProcess ?? true)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const httpDuration = createRequestDurations({
    registry,
    name: 'homeport_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  });
  const sseClients = new Gauge({
    name: 'homeport_sse_clients',
    help: 'Open Server-Sent Events streams',
    registers: [registry],
  });
  const jobRuns = new Counter({
    name: 'homeport_background_job_runs_total',
    help: 'Runs of each background job on this replica (on KV a job runs on the replica holding its lease)',
    labelNames: ['job'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, sseClients, jobRuns };
}
