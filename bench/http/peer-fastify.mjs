// The peer for bench/http: a bare Fastify app (default options, no logger, no plugins) with one JSON route,
// run as its own process. Usage: node peer-fastify.mjs <port>

import Fastify from 'fastify';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node peer-fastify.mjs <port>');
  process.exit(2);
}

// The same shape and size as the user Homeport's /api/v1/auth/me returns, so both serialise similar JSON.
const user = {
  id: 'usr_-nMlnf3Q9sb5X_Cv',
  username: 'admin',
  role: 'admin',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const app = Fastify();
app.get('/user', async () => user);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}

await app.listen({ port, host: '127.0.0.1' });
console.log(`peer-fastify listening on http://127.0.0.1:${port}`);
