// Free loopback TCP ports for the managed nats-server's client and monitoring listeners.

import { createServer } from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago (the kernel's pick for port 0). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      // A TCP listen always reports an AddressInfo; a string would mean a pipe path.
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('no TCP port reported')) : resolve(port)));
    });
  });
}

/** Two different free ports. */
export async function twoFreePorts(): Promise<[number, number]> {
  const first = await freeLoopbackPort();
  let second = await freeLoopbackPort();
  while (second === first) second = await freeLoopbackPort();
  return [first, second];
}
