// The image's HEALTHCHECK: GET /ready on Homeport's own port (the image has node, no curl). Exit 0 when it
// answers 200, 1 otherwise (503 while the store does not answer, or nothing listening yet).
// The TLS case (HOMEPORT_TLS_CERT) checks the certificate's server, not its chain: the name in it is the public
// one, not 127.0.0.1, and a self-signed one is common inside a private network.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const port = Number(process.env.HOMEPORT_PORT || 8080);
const bind = process.env.HOMEPORT_BIND || '127.0.0.1';
// A wildcard bind answers on loopback; a specific address only on itself.
const host = bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;
const tls = Boolean(process.env.HOMEPORT_TLS_CERT);
const request = tls ? httpsRequest : httpRequest;

const probe = request(
  { host, port, path: '/ready', method: 'GET', timeout: 4000, ...(tls ? { rejectUnauthorized: false } : {}) },
  (response) => {
    response.resume();
    process.exit(response.statusCode === 200 ? 0 : 1);
  },
);
probe.on('timeout', () => probe.destroy(new Error('no answer in 4 s')));
probe.on('error', (error) => {
  console.error(`healthcheck: ${error.message}`);
  process.exit(1);
});
probe.end();
