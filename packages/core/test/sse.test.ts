// SSE streams on a real socket: heartbeat comments, event framing, close-all on shutdown.

import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpServer,
  createLogger,
  createMetrics,
  createSseRegistry,
  type HttpApp,
  type SseRegistry,
  Type,
} from '../src/index.js';

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(registry: SseRegistry): Promise<string> {
  app = await createHttpServer({
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics({ collectProcess: false }),
    version: 't',
  });
  app.get('/api/v1/stream', { schema: { response: { 200: Type.String() } } }, async (_request, reply) => {
    const stream = registry.open(reply);
    stream.send({ id: '7', event: 'hello', data: { a: 1 } });
    return reply;
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function collect(response: Response, until: (text: string) => boolean): Promise<string> {
  const reader = response.body!.getReader();
  let text = '';
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text;
}

describe('SSE registry', () => {
  it('frames events and sends heartbeat comments', async () => {
    const registry = createSseRegistry({ heartbeatMs: 50 });
    const base = await serve(registry);
    const response = await fetch(`${base}/api/v1/stream`);
    expect(response.headers.get('cache-control')).toContain('no-cache');
    const text = await collect(response, (so) => (so.match(/: ping/g) ?? []).length >= 2);
    expect(text).toContain('id: 7\nevent: hello\ndata: {"a":1}\n\n');
  });

  it('closeAll ends every stream and empties the registry', async () => {
    const metrics = createMetrics({ collectProcess: false });
    const registry = createSseRegistry({ metrics });
    const base = await serve(registry);
    const responses = await Promise.all([fetch(`${base}/api/v1/stream`), fetch(`${base}/api/v1/stream`)]);
    expect(registry.size).toBe(2);
    expect(
      (await metrics.registry.getSingleMetricAsString('homeport_sse_clients')).trim().endsWith('2'),
    ).toBe(true);
    registry.closeAll();
    for (const response of responses) await collect(response, () => false);
    expect(registry.size).toBe(0);
    expect(
      (await metrics.registry.getSingleMetricAsString('homeport_sse_clients')).trim().endsWith('0'),
    ).toBe(true);
  });
});
