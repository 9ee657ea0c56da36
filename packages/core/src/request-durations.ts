// The request-duration histogram, kept by hand: prom-client's Histogram hashes the label set on every
// observe(), even through a labelled child (2-3 % of a small API request's CPU here). Each label set here gets
// its counters once, and observe() is a bucket search and three additions. It is registered in the same
// prom-client registry (which reads any object with name, help, type and get()), so /metrics is unchanged.

import type { Registry } from 'prom-client';

export interface DurationSeries {
  observe(seconds: number): void;
}

export interface RequestDurations {
  /** The counters of one label set, made on first use (one string key and a Map lookup per call). */
  series(method: string, route: string, status: string): DurationSeries;
}

interface Series extends DurationSeries {
  readonly labels: { method: string; route: string; status: string };
  /** Per bucket, not cumulative (cumulated when exported). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** Label sets kept at most: routes × methods × statuses is small, but an unmatched path must not grow it. */
const MAX_SERIES = 4096;

export function createRequestDurations(options: {
  registry: Registry;
  name: string;
  help: string;
  buckets: readonly number[];
}): RequestDurations {
  const buckets = [...options.buckets].sort((a, b) => a - b);
  const all = new Map<string, Series>();
  const overflow = makeSeries({ method: 'other', route: 'other', status: 'other' });

  function makeSeries(labels: Series['labels']): Series {
    const series: Series = {
      labels,
      counts: new Float64Array(buckets.length),
      sum: 0,
      count: 0,
      observe(seconds) {
        series.sum += seconds;
        series.count += 1;
        for (let index = 0; index < buckets.length; index += 1) {
          if (seconds <= (buckets[index] as number)) {
            (series.counts[index] as number) += 1;
            return;
          }
        }
      },
    };
    return series;
  }

  const bucketName = `${options.name}_bucket`;
  const metric = {
    name: options.name,
    help: options.help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      // As prom-client lays a histogram out: `le` as the value's own label, the series' labels as shared ones.
      const values: {
        labels: Record<string, string | number>;
        sharedLabels: Series['labels'];
        value: number;
        metricName: string;
      }[] = [];
      const every = overflow.count > 0 ? [...all.values(), overflow] : all.values();
      for (const series of every) {
        let cumulative = 0;
        const sharedLabels = series.labels;
        buckets.forEach((bound, index) => {
          cumulative += series.counts[index] as number;
          values.push({ labels: { le: bound }, sharedLabels, value: cumulative, metricName: bucketName });
        });
        values.push({ labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: bucketName });
        values.push({ labels: {}, sharedLabels, value: series.sum, metricName: `${options.name}_sum` });
        values.push({ labels: {}, sharedLabels, value: series.count, metricName: `${options.name}_count` });
      }
      return { name: options.name, help: options.help, type: 'histogram', values, aggregator: 'sum' };
    },
    reset() {
      all.clear();
    },
  };
  // registerMetric is typed for prom-client's own classes; the registry only reads the members above.
  options.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);

  return {
    series(method, route, status) {
      const key = `${method} ${status} ${route}`;
      let series = all.get(key);
      if (series === undefined) {
        if (all.size >= MAX_SERIES) return overflow;
        series = makeSeries({ method, route, status });
        all.set(key, series);
      }
      return series;
    },
  };
}
