// The proxy's metrics with workers: each worker counts in its own registry; a scrape of the primary's
// registry asks every worker for its figures and sums them (prom-client's cluster aggregation), so the
// exposition has the same names and labels as with the proxy in-process.

import { AggregatorRegistry, type Registry, type RegistryContentType } from 'prom-client';
import type { MetricsJson } from './messages.js';

const PROXY_METRICS = [
  { name: 'homeport_proxy_requests_total', type: 'counter' },
  { name: 'homeport_proxy_upstream_duration_seconds', type: 'histogram' },
] as const;

/** Adds the summed proxy metrics to `registry`; `collect` returns each live worker's registry as JSON. */
export function registerPooledProxyMetrics(registry: Registry, collect: () => Promise<MetricsJson[]>): void {
  // One round of questions per scrape: the registry asks each metric for its values in the same tick.
  let pending: Promise<Registry<RegistryContentType>> | undefined;
  const aggregated = (): Promise<Registry<RegistryContentType>> => {
    if (pending !== undefined) return pending;
    const round = collect().then((perWorker) => AggregatorRegistry.aggregate(perWorker));
    pending = round;
    const done = () => {
      pending = undefined;
    };
    void round.then(done, done);
    return round;
  };
  for (const { name, type } of PROXY_METRICS) {
    const metric = {
      name,
      help: name as string,
      type,
      aggregator: 'sum',
      async get() {
        const found = (await aggregated()).getSingleMetric(name);
        if (found === undefined) return { name, help: name, type, aggregator: 'sum', values: [] };
        const values = await found.get();
        metric.help = values.help;
        return values;
      },
      reset() {},
    };
    // prom-client registers such plain { name, help, type, aggregator, get } objects itself when it
    // aggregates (AggregatorRegistry.aggregate); its types only list its own metric classes.
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
