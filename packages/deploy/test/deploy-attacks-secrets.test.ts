// Secrets against a compromised registry, through the whole deploy module on a real dockerd: a registry that
// echoes the Basic credentials it was sent in its error answer must not get the project's registry password
// into the deploy record (its error reason, which the API, the deploy events, the server log and a bus room
// announcement carry) or the deploy log. The registry is a node:http stand-in: the real one echoes nothing.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  startDeployHomeport,
  startEngine,
} from './support/deploy-homeport.js';

let engine: Engine;
let h: DeployHomeport;
let echoing: Server;
let echoingPort: number;
const PASSWORD = 'registry-pass-7f3c91';

beforeAll(async () => {
  echoing = createServer((req, res) => {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Basic ')) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' });
      res.end();
      return;
    }
    // The tag resolves (so the deploy gets to Docker's pull); everything else is refused with an echo.
    if (req.method === 'HEAD' && req.url === '/v2/app/manifests/v1') {
      res.writeHead(200, {
        'docker-content-digest': `sha256:${'d'.repeat(64)}`,
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
      });
      res.end();
      return;
    }
    const sent = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `credentials ${sent} are not allowed` }] }));
  });
  await new Promise<void>((resolve) => echoing.listen(0, '127.0.0.1', resolve));
  echoingPort = (echoing.address() as AddressInfo).port; // listening on TCP: an AddressInfo
  engine = await startEngine();
  h = await startDeployHomeport(engine);
}, 120_000);

afterAll(async () => {
  await h?.close();
  await engine?.stop();
  echoing?.closeAllConnections();
  await new Promise<void>((resolve) => (echoing ? echoing.close(() => resolve()) : resolve()));
}, 60_000);

describe('a compromised registry and the deploy record', () => {
  it('masks the registry password it echoes in the deploy error, the record and the deploy log', async () => {
    const project = await h.api('POST', '/projects', {
      name: 'echo',
      registryAuth: { username: 'deployer', password: PASSWORD },
    });
    expect(project.status).toBe(201);
    const stage = await h.api('POST', '/projects/echo/stages', {
      name: 'production',
      config: stageConfig(`127.0.0.1:${echoingPort}/app`, null),
    });
    expect(stage.status).toBe(201);
    const queued = await h.api('POST', '/projects/echo/stages/production/deploys', { tag: 'v1' });
    expect(queued.status).toBe(202);
    const record = await h.finished(queued.json.id, 30_000);
    expect(record.status).toBe('failed');
    expect(record.error?.step).toBe('pull');
    // The echo did happen (Docker relays the registry's message; the reason shows it masked).
    expect(record.error?.reason).toContain('deployer:********');
    expect(JSON.stringify(record)).not.toContain(PASSWORD);
    const fromApi = await h.api('GET', `/deploys/${queued.json.id}`);
    expect(JSON.stringify(fromApi.json)).not.toContain(PASSWORD);
    const lines = await h.api('GET', `/deploys/${queued.json.id}/logs`);
    expect(lines.status).toBe(200);
    expect(lines.json.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines.json)).not.toContain(PASSWORD);
  });
});
