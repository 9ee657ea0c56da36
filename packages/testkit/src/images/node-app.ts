// The `node` test image's pieces: the host's node binary with the shared libraries ldd lists (so the image needs
// no distribution), and a dependency-free app serving its version over HTTP, Server-Sent Events and WebSocket.

import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import type { TarEntry } from './tar.js';

/**
 * The app, run by the image as `node /app/server.js` (CommonJS, no packages). Reads PORT and APP_VERSION from its
 * environment and binds 127.0.0.1 (host networking). Routes: `/` and `/version` (the version as text), the health
 * path (`ok`), `/sse` (an event a second, `data: <version> <n>`), `/ws` (WebSocket: the first text message is
 * `version <version>`, then every text message is echoed). SIGTERM closes the server and exits 0 — the app is
 * PID 1 in its container, where a signal without a handler is ignored.
 */
export const NODE_APP_SERVER = String.raw`'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const version = process.env.APP_VERSION || 'unknown';
const healthPath = process.env.HEALTH_PATH || '/health';
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) { console.error('PORT must be set'); process.exit(2); }

function frame(opcode, payload) {
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x80 | opcode, length])
    : length < 65536 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 255])
    : (() => { const b = Buffer.alloc(10); b[0] = 0x80 | opcode; b[1] = 127; b.writeBigUInt64BE(BigInt(length), 2); return b; })();
  return Buffer.concat([head, payload]);
}

function serveWebSocket(req, socket) {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') { socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'); return; }
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  socket.write(frame(1, Buffer.from('version ' + version)));
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0] & 15;
      const masked = (buffered[1] & 128) !== 0;
      let length = buffered[1] & 127;
      let offset = 2;
      if (length === 126) { if (buffered.length < 4) return; length = buffered.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffered.length < 10) return; length = Number(buffered.readBigUInt64BE(2)); offset = 10; }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buffered[maskOffset + (i % 4)];
      buffered = buffered.subarray(offset + length);
      if (opcode === 1) socket.write(frame(1, payload));
      else if (opcode === 9) socket.write(frame(10, payload));
      else if (opcode === 8) { socket.end(frame(8, payload.subarray(0, 2))); return; }
    }
  });
  socket.on('error', () => socket.destroy());
}

const server = http.createServer((req, res) => {
  const path = (req.url || '/').split('?')[0];
  if (path === '/' || path === '/version') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(version + '\n'); return; }
  if (path === healthPath) { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok\n'); return; }
  if (path === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let n = 0;
    const send = () => { n += 1; res.write('data: ' + version + ' ' + n + '\n\n'); };
    send();
    const timer = setInterval(send, 1000);
    req.on('close', () => clearInterval(timer));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});
server.on('upgrade', (req, socket) => {
  if ((req.url || '').split('?')[0] === '/ws') serveWebSocket(req, socket);
  else socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
});
server.listen(port, '127.0.0.1', () => console.log('node app ' + version + ' listening on 127.0.0.1:' + port));
process.on('SIGTERM', () => { console.log('node app ' + version + ' stopping'); process.exit(0); });
`;

/** Paths of the shared libraries `ldd` lists for `binary` (the loader included), as the binary asks for them. */
function sharedLibraries(binary: string): string[] {
  const output = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match?.[1]) paths.push(match[1]);
  }
  return paths;
}

/** Every parent folder of `paths`, outermost first, as tar dir entries. */
function parentDirs(paths: readonly string[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/').filter((part) => part !== '');
    for (let i = 1; i < parts.length; i += 1) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort().map((path) => ({ type: 'dir', path }));
}

/**
 * Layer entries for the host's node at /usr/local/bin/node plus its shared libraries at the paths it loads them
 * from (copied from their real files: on merged-/usr Debian /lib is a symlink, in the image it is a folder).
 */
export function nodeRuntimeEntries(nodeBinary = process.execPath): TarEntry[] {
  const binary = realpathSync(nodeBinary);
  const libraries = sharedLibraries(binary);
  const files = [
    { path: 'usr/local/bin/node', source: binary, mode: 0o755 },
    ...libraries.map((path) => ({ path: path.slice(1), source: realpathSync(path), mode: 0o755 })),
  ];
  return [
    ...parentDirs(files.map((file) => file.path)),
    ...files.map(
      (file): TarEntry => ({
        type: 'file',
        path: file.path,
        content: readFileSync(file.source),
        mode: file.mode,
      }),
    ),
  ];
}
