import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRequestDurations } from '../src/request-durations.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const NAME = 'homeport_http_request_duration_seconds';
const HELP = 'HTTP request duration by route and status';

describe('request durations', () => {
  it('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    const ours = new Registry();
    const durations = createRequestDurations({ registry: ours, name: NAME, help: HELP, buckets: BUCKETS });
    const theirs = new Registry();
    const histogram = new Histogram({
      name: NAME,
      help: HELP,
      labelNames: ['method', 'route', 'status'] as const,
      buckets: BUCKETS,
      registers: [theirs],
    });
    const samples: [string, string, string, number][] = [
      ['GET', '/api/v1/auth/me', '200', 0.0004],
      ['GET', '/api/v1/auth/me', '200', 0.001], // on a bound: counted in that bucket (le is inclusive)
      ['GET', '/api/v1/auth/me', '200', 0.3],
      ['GET', '/api/v1/auth/me', '401', 0.002],
      ['POST', '/api/v1/auth/login', '200', 0.2],
      ['GET', 'unmatched', '404', 12], // past the last bound: only +Inf, sum and count
    ];
    for (const [method, route, status, seconds] of samples) {
      durations.series(method, route, status).observe(seconds);
      histogram.labels(method, route, status).observe(seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('stops making label sets past its bound and counts the rest under "other"', async () => {
    const registry = new Registry();
    const durations = createRequestDurations({ registry, name: NAME, help: HELP, buckets: [1] });
    for (let index = 0; index < 4100; index += 1) durations.series('GET', `/r${index}`, '200').observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain(`${NAME}_count{method="GET",route="/r4095",status="200"} 1`);
    expect(text).not.toContain('route="/r4096"');
    expect(text).toContain(`${NAME}_count{method="other",route="other",status="other"} 4`);
  });
});
