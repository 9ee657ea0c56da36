// Starts the bare Fastify peer (bench/http/peer-fastify.mjs) as its own process on a free port: the
// ceiling that Homeport's HTTP figures are divided by.

import { fileURLToPath } from 'node:url';
import { freePort, type ManagedProcess, startProcess } from '@homeport/testkit';

const PEER_SCRIPT = fileURLToPath(new URL('../http/peer-fastify.mjs', import.meta.url));

export interface FastifyPeer {
  /** `http://127.0.0.1:<port>`; the route is `GET /user`. */
  url: string;
  process: ManagedProcess;
}

export async function startFastifyPeer(): Promise<FastifyPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peer = await startProcess(process.execPath, [PEER_SCRIPT, String(port)], {
    name: 'peer-fastify',
    ready: { url: `${url}/user` },
  });
  return { url, process: peer };
}
