// Test support for the WebDAV workers: keep-alive connections held one by one (each its own socket, reused
// for every request), and which process serves each, read from the kernel (/proc) — the workers add nothing
// to their answers for this.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';

export interface DavAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request whose body is still being sent. */
export interface OpenUpload {
  write(chunk: string): void;
  /** Ends the body; resolves with the answer. */
  end(chunk?: string): Promise<DavAnswer>;
}

/** One TCP connection to the server, kept open between requests. */
export interface HeldConnection {
  request(method: string, url: string, headers?: Record<string, string>, body?: string): Promise<DavAnswer>;
  /** A PUT sent in pieces (chunked), on this connection. */
  upload(url: string, headers?: Record<string, string>): OpenUpload;
  /** The client side's port, known after the first request. */
  localPort(): number;
  close(): void;
}

export function holdConnection(): HeldConnection {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let port = 0;
  const send = (method: string, url: string, headers: Record<string, string>) => {
    const request = http.request(url, { method, headers, agent });
    const answer = new Promise<DavAnswer>((resolve, reject) => {
      request.on('response', (response: http.IncomingMessage) => {
        port = response.socket.localPort ?? 0;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      });
      request.on('error', reject);
    });
    return { request, answer };
  };
  return {
    request(method, url, headers = {}, body) {
      const sent = send(method, url, headers);
      sent.request.end(body);
      return sent.answer;
    },
    upload(url, headers = {}) {
      const sent = send('PUT', url, headers);
      // A test that fails before end() leaves the answer unawaited: its rejection is not the failure to report.
      sent.answer.catch(() => undefined);
      sent.request.flushHeaders();
      return {
        write: (chunk) => {
          sent.request.write(chunk);
        },
        end(chunk) {
          sent.request.end(chunk);
          return sent.answer;
        },
      };
    },
    localPort: () => port,
    close: () => agent.destroy(),
  };
}

/** Inode of each established loopback IPv4 connection to `serverPort`, by the client's port. */
function serverSideInodes(serverPort: number): Map<number, string> {
  const byClientPort = new Map<number, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, remote, state, inode] = [fields[1], fields[2], fields[3], fields[9]];
    if (local === undefined || remote === undefined || inode === undefined) continue;
    // 01 is ESTABLISHED; the server's side has the server's port as its local port.
    if (state !== '01' || Number.parseInt(local.split(':')[1] ?? '', 16) !== serverPort) continue;
    byClientPort.set(Number.parseInt(remote.split(':')[1] ?? '', 16), inode);
  }
  return byClientPort;
}

function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // the process is gone: it holds nothing
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // The descriptor closed between the listing and the readlink.
    }
  }
  return inodes;
}

/**
 * Which of `pids` holds the server side of each connection (by client port); a connection held by none or
 * by several of them maps to undefined.
 */
export function connectionOwners(
  serverPort: number,
  clientPorts: readonly number[],
  pids: readonly number[],
): (number | undefined)[] {
  const inodes = serverSideInodes(serverPort);
  const held = pids.map((pid) => ({ pid, inodes: socketInodesOf(pid) }));
  return clientPorts.map((clientPort) => {
    const inode = inodes.get(clientPort);
    if (inode === undefined) return undefined;
    const owners = held.filter((entry) => entry.inodes.has(inode));
    return owners.length === 1 ? owners[0]?.pid : undefined;
  });
}
