// Replacing a betterNAS agent by `homeport agent` on the same machine: started once with the machine's id and
// the node token the betterNAS agent saved, it takes the node over in place (same node id, same export ids),
// the node becomes a Homeport node, credentials in betterNAS's format end, and new ones are Homeport's.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AgentInstance,
  type HomeportInstance,
  startAgent,
  startHomeport,
  tempDir,
} from '@homeport/testkit';
import { afterAll, expect, it } from 'vitest';
import { type BetterNasAgent, startBetterNasAgent } from './support/betternas-agent.js';
import { api, basic, type MountProfileBody, waitFor } from './support/nas.js';

const BOOTSTRAP = 'betternas-upgrade-bootstrap-0123456789';
const CLIENT = 'betternas-upgrade-client-token-0123456789';
const SECRET = 'betternas-upgrade-shared-secret-0123456789';

let homeport: HomeportInstance | undefined;
let legacy: BetterNasAgent | undefined;
let agent: AgentInstance | undefined;

afterAll(async () => {
  await agent?.process.stop();
  await legacy?.stop();
  await homeport?.process.stop();
});

interface NodeBody {
  id: string;
  agentKind: string;
}
interface ExportBody {
  id: string;
  nasNodeId: string;
  path: string;
  mountPath: string;
}

it('homeport agent takes over a betterNAS agent’s node in place with its machine id and saved node token', async () => {
  const root = tempDir('betternas-upgrade-');
  const folders = { alpha: join(root, 'alpha'), beta: join(root, 'beta') };
  for (const [name, folder] of Object.entries(folders)) {
    mkdirSync(folder);
    writeFileSync(join(folder, 'who.txt'), name);
  }
  homeport = await startHomeport({
    env: {
      HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      HOMEPORT_CLIENT_TOKEN: CLIENT,
      BETTERNAS_DAV_AUTH_SECRET: SECRET,
      HOMEPORT_EMBEDDED_AGENT: 'false',
      HOMEPORT_LOG_LEVEL: 'warn',
    },
  });
  const url = homeport.url;
  legacy = await startBetterNasAgent({
    controlPlaneUrl: url,
    bootstrapToken: BOOTSTRAP,
    secret: SECRET,
    exports: [
      { label: 'Alpha', path: folders.alpha },
      { label: 'Beta', path: folders.beta },
    ],
  });
  const nodeId = legacy.nodeId;
  const exportsBefore = (await api<ExportBody[]>(url, '/api/v1/exports', CLIENT)).body;
  const alphaBefore = exportsBefore.find((item) => item.path === folders.alpha);
  expect(alphaBefore?.mountPath).toMatch(/^\/dav\/exports\/[0-9a-f]{64}\/$/);
  const issue = async () =>
    api<MountProfileBody>(url, '/api/v1/mount-profiles/issue', CLIENT, {
      method: 'POST',
      body: { exportId: alphaBefore?.id },
    });
  const old = (await issue()).body;
  const read = (profile: MountProfileBody) =>
    fetch(`${profile.mountUrl}who.txt`, {
      headers: { authorization: basic(profile.credential.username, profile.credential.password) },
    });
  expect((await read(old)).status).toBe(200);

  // The machine's id and the node token, as the betterNAS agent saved them.
  const saved = JSON.parse(readFileSync(join(legacy.stateDir, 'betternas-agent.json'), 'utf8')) as {
    machineId: string;
    nodeToken: string;
  };
  await legacy.stop();
  legacy = undefined;
  agent = await startAgent({
    controlPlaneUrl: url,
    bootstrapToken: saved.nodeToken,
    exports: [`${folders.alpha}:Alpha`, `${folders.beta}:Beta`],
    env: { HOMEPORT_MACHINE_ID: saved.machineId },
  });

  const nodes = (await api<NodeBody[]>(url, '/api/v1/nodes', CLIENT)).body;
  expect(nodes).toEqual([expect.objectContaining({ id: nodeId, agentKind: 'homeport' })]);
  const after = await waitFor('the Homeport agent’s inventory', async () => {
    const list = (await api<ExportBody[]>(url, '/api/v1/exports', CLIENT)).body;
    const alpha = list.find((item) => item.path === folders.alpha);
    return alpha?.mountPath === '/dav/alpha/' ? list : undefined;
  });
  // The same exports, by id: shares and links to them survive the change of agent.
  expect(new Set(after.map((item) => item.id))).toEqual(new Set(exportsBefore.map((item) => item.id)));

  const fresh = (await issue()).body;
  expect(fresh.mountUrl).toBe(`${agent.url}/dav/alpha/`);
  await waitFor('the new agent to serve with a Homeport credential', async () =>
    (await read(fresh)).status === 200 ? true : undefined,
  );
  expect(await (await read(fresh)).text()).toBe('alpha');
  // The betterNAS-format credential is revoked, and a Homeport agent would not take the format anyway.
  const oldAtNewAgent = await fetch(`${agent.url}/dav/alpha/who.txt`, {
    headers: { authorization: basic(old.credential.username, old.credential.password) },
  });
  expect(oldAtNewAgent.status).toBe(401);
});
