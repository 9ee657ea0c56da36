// The second peer of the proxy figure: the smallest reverse proxy node:http makes — a server, a keep-alive
// Agent, http.request and pipe both ways, X-Forwarded-For set — run as its own process. It is the ceiling of
// a one-process Node proxy on this machine: what Homeport's proxy adds on top (routing, limits, drains,
// metrics) is the gap between the two.
// Usage: node peer-node-proxy.mjs <listen port> <upstream http://127.0.0.1:port>

import { Agent, createServer, request } from 'node:http';

const [portText, upstreamText] = process.argv.slice(2);
const upstream = new URL(upstreamText ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

const server = createServer((req, res) => {
  const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '' };
  delete headers.connection;
  const upReq = request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  upReq.on('error', () => {
    res.statusCode = 502;
    res.end();
  });
  req.pipe(upReq);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), '127.0.0.1');
