// The Node.js ceiling for bench/webdav: a bare node:http file server in node:cluster workers sharing one port,
// as Homeport's WebDAV workers do, with nothing Homeport does besides (no credential check, no WebDAV, no
// logging, no path checks beyond refusing `..`). GET serves small files from memory (as Homeport's small-file
// cache) and streams large ones; PUT streams the body to a temp file and renames it into place (as Homeport's
// PUT, no fsync). What this reaches next to nginx is what any Node.js server can reach on this machine.
// Usage: node peer-node.mjs <port> <root> <workers>

import cluster from 'node:cluster';
import { createReadStream, createWriteStream, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [portText, root, workersText] = process.argv.slice(2);
const port = Number(portText);
const workers = Number(workersText);
if (!Number.isInteger(port) || port <= 0 || root === undefined || !Number.isInteger(workers) || workers < 1) {
  console.error('usage: node peer-node.mjs <port> <root> <workers>');
  process.exit(2);
}

/** Files up to this size are answered from memory after their first read, as Homeport's cache does. */
const SMALL = 64 * 1024;

if (cluster.isPrimary) {
  let listening = 0;
  for (let index = 0; index < workers; index += 1) {
    cluster.fork().on('listening', () => {
      listening += 1;
      if (listening === workers)
        console.log(`peer-node listening on http://127.0.0.1:${port} (${workers} workers)`);
    });
  }
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
      process.exit(0);
    });
  }
} else {
  const small = new Map();
  let uploads = 0;

  const fileOf = (url) => {
    const path = normalize(decodeURIComponent(url.split('?', 1)[0]));
    return path.includes('..') ? undefined : join(root, path);
  };

  const get = (request, response, file) => {
    const cached = small.get(file);
    if (cached !== undefined) {
      response.writeHead(200, {
        'content-length': cached.length,
        'content-type': 'application/octet-stream',
      });
      response.end(request.method === 'HEAD' ? undefined : cached);
      return;
    }
    let stats;
    try {
      stats = statSync(file);
    } catch {
      response.writeHead(404).end();
      return;
    }
    if (!stats.isFile()) {
      response.writeHead(404).end();
      return;
    }
    if (stats.size <= SMALL) {
      const body = readFileSync(file);
      small.set(file, body);
      response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      response.end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    response.writeHead(200, { 'content-length': stats.size, 'content-type': 'application/octet-stream' });
    if (request.method === 'HEAD') response.end();
    else pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), response).catch(() => {});
  };

  const put = (request, response, file) => {
    uploads += 1;
    const temp = join(dirname(file), `.peer-node-${process.pid}-${uploads}.part`);
    pipeline(request, createWriteStream(temp, { highWaterMark: 1024 * 1024 })).then(
      () => {
        renameSync(temp, file);
        response.writeHead(201, { 'content-length': 0 }).end();
      },
      () => {
        try {
          unlinkSync(temp);
        } catch {}
        response.writeHead(500, { connection: 'close' }).end();
      },
    );
  };

  http
    .createServer({ keepAliveTimeout: 5000 }, (request, response) => {
      const file = fileOf(request.url ?? '/');
      if (file === undefined) response.writeHead(400).end();
      else if (request.method === 'GET' || request.method === 'HEAD') get(request, response, file);
      else if (request.method === 'PUT') put(request, response, file);
      else response.writeHead(405).end();
    })
    .listen(port, '127.0.0.1');
}
