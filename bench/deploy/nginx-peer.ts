// The peer of the proxy figure: nginx `proxy_pass` to the same app container, with an upstream keep-alive pool,
// on the testkit's nginx (one worker per core, access log off) through its `include` hook.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type ManagedProcess,
  type NginxInstance,
  startNginx,
  startProcess,
  until,
} from '@homeport/testkit';

export interface NginxPeer {
  /** `http://127.0.0.1:<port>` of the proxying server. */
  url: string;
  nginx: NginxInstance;
  /** The server block added to the testkit's configuration, printed with the figures. */
  config: string;
}

/**
 * The same headers the built-in proxy sets (client's Host, X-Forwarded-For/-Proto/-Host), HTTP/1.1 with
 * `Connection` cleared so upstream sockets are reused (`keepalive` idle ones per worker), buffering at its
 * default (a small answer fits the first buffer either way).
 */
export function peerConfig(port: number, upstream: string): string {
  const target = upstream.replace(/^http:\/\//, '');
  return `upstream bench_app {
  server ${target};
  keepalive 64;
}
server {
  listen 127.0.0.1:${port};
  location / {
    proxy_pass http://bench_app;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
  }
}
`;
}

export async function startNginxPeer(workDir: string, upstream: string): Promise<NginxPeer> {
  const includeDir = join(workDir, 'nginx-include');
  mkdirSync(includeDir, { recursive: true });
  const port = await freePort();
  const config = peerConfig(port, upstream);
  writeFileSync(join(includeDir, 'deploy-peer.conf'), config);
  const nginx = await startNginx({ include: `${includeDir}/*.conf` });
  const url = `http://127.0.0.1:${port}`;
  // startNginx waits for its own server; the proxying one listens from the same start, checked anyway.
  await until(
    async () => {
      const response = await fetch(`${url}/`).catch(() => null);
      if (response === null) return false;
      await response.text();
      return response.ok;
    },
    10_000,
    50,
  );
  return { url, nginx, config };
}

const NODE_PEER_SCRIPT = fileURLToPath(new URL('./peer-node-proxy.mjs', import.meta.url));

/** The smallest node:http proxy to the same app (peer-node-proxy.mjs), its own process on a free port. */
export async function startNodeProxyPeer(
  upstream: string,
): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peer = await startProcess(process.execPath, [NODE_PEER_SCRIPT, String(port), upstream], {
    name: 'peer-node-proxy',
    ready: { url: `${url}/` },
  });
  return { url, process: peer };
}
