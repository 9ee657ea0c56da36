// A constant stream of GET / through the built-in proxy on keep-alive connections, closed loop, each answer
// noted with the wall-clock time its request was sent and the version that served it (the node image answers
// its version on `/`), or as a failure: any status but 200, a socket error, or a body that is no version.

import { Agent, request } from 'node:http';

/** Wall-clock milliseconds with sub-millisecond precision, comparable with the server's ISO timestamps. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface StreamSample {
  sentAt: number;
  /** The version that answered, or null for a failure. */
  version: string | null;
}

export interface RequestStream {
  samples: StreamSample[];
  /** The first failures' descriptions (at most 20 are kept) and how many there were. */
  failures: { count: number; first: string[] };
  stop(): Promise<void>;
}

const KEPT_FAILURES = 20;

export function startRequestStream(options: {
  port: number;
  host: string;
  connections: number;
  versions: readonly string[];
}): RequestStream {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const samples: StreamSample[] = [];
  const failures = { count: 0, first: [] as string[] };
  let running = true;

  const fail = (sentAt: number, what: string) => {
    failures.count += 1;
    if (failures.first.length < KEPT_FAILURES) failures.first.push(what);
    samples.push({ sentAt, version: null });
  };

  const one = () =>
    new Promise<void>((resolve) => {
      const sentAt = wallClockMs();
      const req = request(
        { host: '127.0.0.1', port: options.port, path: '/', headers: { host: options.host }, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8').trim();
            if (res.statusCode !== 200) fail(sentAt, `${res.statusCode}: ${body.slice(0, 80)}`);
            else if (!options.versions.includes(body))
              fail(sentAt, `200 with ${JSON.stringify(body.slice(0, 80))}`);
            else samples.push({ sentAt, version: body });
            resolve();
          });
          res.on('error', (error) => {
            fail(sentAt, `response: ${error.message}`);
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        fail(sentAt, `request: ${error.message}`);
        resolve();
      });
      req.end();
    });

  const loops = Array.from({ length: options.connections }, async () => {
    while (running) await one();
  });
  return {
    samples,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
