// End to end with an agent that speaks betterNAS's wire format (support/betternas-agent.ts): Homeport
// issues the profiles, the agent checks the credentials as betterNAS's agents do, rclone is the client.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HomeportInstance, runRclone, startHomeport, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BetterNasAgent, startBetterNasAgent } from './support/betternas-agent.js';
import {
  type BetterNasClaimsLike,
  expectMountProfile,
  HOMEPORT_AGENT_HEADER,
  inspectBetterNasPassword,
  NODE_TOKEN_HEADER,
  parseBasic,
  rfc3339Utc,
  sha256Hex,
  signBetterNasPassword,
  type WireMountProfile,
  type WireNasNode,
  type WireStorageExport,
  waitFor,
  wire,
} from './support/betternas-wire.js';

const BOOTSTRAP = 'betternas-agent-bootstrap-0123456789';
const CLIENT = 'betternas-agent-client-token-0123456789';
const SECRET = 'betternas-agent-shared-secret-0123456789';
/** Homeport's own root secret: must not be what betterNAS credentials are signed with. */
const HOMEPORT_SECRET = 'homeport-own-dav-root-secret-9876543210';

let homeport: HomeportInstance;
let agent: BetterNasAgent;
let folders: { alpha: string; beta: string };
let member: string;

beforeAll(async () => {
  const root = tempDir('betternas-exports-');
  folders = { alpha: join(root, 'alpha'), beta: join(root, 'beta') };
  mkdirSync(folders.alpha);
  mkdirSync(folders.beta);
  writeFileSync(join(folders.alpha, 'seed.txt'), 'alpha seed');
  writeFileSync(join(folders.beta, 'seed.txt'), 'beta seed');
  homeport = await startHomeport({
    env: {
      BETTERNAS_CONTROL_PLANE_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      BETTERNAS_CONTROL_PLANE_CLIENT_TOKEN: CLIENT,
      BETTERNAS_DAV_AUTH_SECRET: SECRET,
      BETTERNAS_NEXTCLOUD_BASE_URL: undefined,
      HOMEPORT_DAV_AUTH_SECRET: HOMEPORT_SECRET,
      HOMEPORT_EMBEDDED_AGENT: 'false',
      HOMEPORT_NODE_OFFLINE_THRESHOLD: '2s',
      HOMEPORT_NAS_DEFAULT_ACCESS: 'read-write',
      HOMEPORT_REGISTRATION_ENABLED: 'true',
      HOMEPORT_LOG_LEVEL: 'warn',
    },
  });
  agent = await startBetterNasAgent({
    controlPlaneUrl: homeport.url,
    bootstrapToken: BOOTSTRAP,
    secret: SECRET,
    exports: [
      { label: 'Alpha', path: folders.alpha },
      { label: 'Beta', path: folders.beta },
    ],
  });
  const signedUp = await wire<{ token: string }>(homeport.url, '/api/v1/auth/register', {
    method: 'POST',
    body: { username: `member_${randomBytes(3).toString('hex')}`, password: 'long-enough-password' },
  });
  expect(signedUp.status, signedUp.text).toBe(201);
  member = signedUp.body.token;
});

afterAll(async () => {
  await agent?.stop();
  await homeport?.process.stop();
});

function exportOf(label: 'Alpha' | 'Beta') {
  const found = agent.exports.find((item) => item.label === label);
  if (!found) throw new Error(`the agent has no export ${label}`);
  return found;
}

async function issue(
  exportId: string,
  options: { token?: string; readonly?: boolean } = {},
): Promise<WireMountProfile> {
  const response = await wire<WireMountProfile>(homeport.url, '/api/v1/mount-profiles/issue', {
    method: 'POST',
    token: options.token ?? CLIENT,
    body: { exportId, ...(options.readonly === undefined ? {} : { readonly: options.readonly }) },
  });
  expect(response.status, response.text).toBe(200);
  expectMountProfile(response.body);
  return response.body;
}

const remoteOf = (
  profile: WireMountProfile,
  password = profile.credential.password,
  url = profile.mountUrl,
) => ({
  url,
  user: profile.credential.username,
  password,
});

/** rclone must give up at once where a refusal is the expected outcome. */
const ONE_TRY = ['--retries', '1', '--low-level-retries', '1'];

const basicHeader = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const propfind = (url: string, username: string, password: string) =>
  fetch(url, { method: 'PROPFIND', headers: { depth: '1', authorization: basicHeader(username, password) } });

/** A refusal as betterNAS's agent answers it; `reason` is why the test agent refused. */
async function expectAgentRefusal(response: Response, reason: string): Promise<void> {
  expect(response.status, await response.text()).toBe(401);
  expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Basic/);
  expect(agent.refusals.at(-1)).toBe(reason);
}

/** Copies a fresh file in with rclone, lists it, reads it back, and finds it on the export's disk. */
async function roundTrip(profile: WireMountProfile, folder: string): Promise<void> {
  const name = `file-${randomBytes(4).toString('hex')}.bin`;
  const local = tempDir('betternas-rclone-up-');
  const bytes = randomBytes(150_000 + Math.floor(Math.random() * 1000));
  writeFileSync(join(local, name), bytes);
  const up = await runRclone(remoteOf(profile), ['copy', local, 'dav:incoming']);
  expect(up.exitCode, up.stderr).toBe(0);
  const listing = await runRclone(remoteOf(profile), ['lsf', 'dav:incoming']);
  expect(listing.exitCode, listing.stderr).toBe(0);
  expect(listing.stdout.split('\n')).toContain(name);
  const down = tempDir('betternas-rclone-down-');
  const back = await runRclone(remoteOf(profile), ['copyto', `dav:incoming/${name}`, join(down, name)]);
  expect(back.exitCode, back.stderr).toBe(0);
  expect(readFileSync(join(down, name)).equals(bytes), 'read back byte for byte').toBe(true);
  expect(readFileSync(join(folder, 'incoming', name)).equals(bytes), 'stored in the export folder').toBe(
    true,
  );
}

const flip = (text: string, at: number) =>
  `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;

describe('a betterNAS agent behind Homeport', () => {
  it('registers without the Homeport header, syncs two exports at /dav/exports/<sha256(path)>/, heartbeats once', async () => {
    expect(agent.registeredWith).toBe('bootstrap');
    expect(agent.receivedToken).toBe(true);
    expect(agent.heartbeats).toBe(1);
    const nodes = await wire<WireNasNode[]>(homeport.url, '/api/v1/nodes', { token: CLIENT });
    expect(nodes.body.find((node) => node.id === agent.nodeId)).toMatchObject({
      machineId: agent.machineId,
      agentKind: 'betternas',
      directAddress: agent.url,
      status: 'online',
    });
    const exports = await wire<WireStorageExport[]>(homeport.url, '/api/v1/exports', { token: CLIENT });
    const mine = exports.body.filter((item) => item.nasNodeId === agent.nodeId);
    expect(mine.map((item) => [item.label, item.path, item.mountPath]).sort()).toEqual([
      ['Alpha', folders.alpha, `/dav/exports/${sha256Hex(folders.alpha)}/`],
      ['Beta', folders.beta, `/dav/exports/${sha256Hex(folders.beta)}/`],
    ]);
  });

  it('rclone copies a file into each export, lists it and reads it back byte for byte (client token)', async () => {
    for (const [label, folder] of [
      ['Alpha', folders.alpha],
      ['Beta', folders.beta],
    ] as const) {
      const exported = exportOf(label);
      const profile = await issue(exported.id);
      expect(profile).toMatchObject({ displayName: label, readonly: false });
      expect(profile.mountUrl).toBe(`${agent.url}${exported.mountPath}`);
      await roundTrip(profile, folder);
    }
  });

  it('a member (default access read-write) sees both exports and gets a profile that works with rclone', async () => {
    const seen = await wire<WireStorageExport[]>(homeport.url, '/api/v1/exports', { token: member });
    expect(seen.status, seen.text).toBe(200);
    const ids = seen.body.map((item) => item.id);
    expect(ids).toContain(exportOf('Alpha').id);
    expect(ids).toContain(exportOf('Beta').id);
    const profile = await issue(exportOf('Beta').id, { token: member });
    expect(profile.readonly).toBe(false);
    const cat = await runRclone(remoteOf(profile), ['cat', 'dav:seed.txt']);
    expect(cat.exitCode, cat.stderr).toBe(0);
    expect(cat.stdout).toBe('beta seed');
    await roundTrip(profile, folders.beta);
  });

  it('past the offline threshold a new profile is still issued and works, while a silent Homeport node is offline', async () => {
    // A Homeport-kind node heartbeating once is the clock: once it is offline, the threshold has passed
    // for the betterNAS agent too, whose only heartbeat came earlier.
    const registered = await wire<WireNasNode>(homeport.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      headers: { [HOMEPORT_AGENT_HEADER]: '2' },
      body: {
        machineId: `witness-${randomBytes(4).toString('hex')}`,
        displayName: 'Witness',
        agentVersion: '0.1.0',
        directAddress: 'http://127.0.0.1:9',
        relayAddress: null,
      },
    });
    expect(registered.status, registered.text).toBe(200);
    const witnessId = registered.body.id;
    const token = registered.headers.get(NODE_TOKEN_HEADER) ?? '';
    const synced = await wire<WireStorageExport[]>(homeport.url, `/api/v1/nodes/${witnessId}/exports`, {
      method: 'PUT',
      token,
      body: {
        exports: [
          {
            label: 'Witness',
            path: '/srv/witness',
            mountPath: '/dav/witness/',
            protocols: ['webdav'],
            capacityBytes: null,
            tags: [],
          },
        ],
      },
    });
    expect(synced.status, synced.text).toBe(200);
    const beat = await wire(homeport.url, `/api/v1/nodes/${witnessId}/heartbeat`, {
      method: 'POST',
      token,
      body: { nodeId: witnessId, status: 'online', lastSeenAt: rfc3339Utc(Date.now()) },
    });
    expect(beat.status, beat.text).toBe(204);
    const statusOf = async (nodeId: string) =>
      (await wire<WireNasNode[]>(homeport.url, '/api/v1/nodes', { token: CLIENT })).body.find(
        (node) => node.id === nodeId,
      )?.status;
    await waitFor('the Homeport node to go offline', async () =>
      (await statusOf(witnessId)) === 'offline' ? true : undefined,
    );
    expect(await statusOf(agent.nodeId)).toBe('online');
    expect(agent.heartbeats).toBe(1);

    const profile = await issue(exportOf('Alpha').id);
    await roundTrip(profile, folders.alpha);
    const witnessProfile = await wire(homeport.url, '/api/v1/mount-profiles/issue', {
      method: 'POST',
      token: CLIENT,
      body: { exportId: synced.body[0]?.id },
    });
    expect(witnessProfile.status, witnessProfile.text).toBe(503);
  });

  it("refuses export A's credential on export B's URL (401, Basic)", async () => {
    const alpha = await issue(exportOf('Alpha').id);
    const betaUrl = `${agent.url}${exportOf('Beta').mountPath}`;
    const own = await propfind(alpha.mountUrl, alpha.credential.username, alpha.credential.password);
    expect(own.status).toBe(207);
    await expectAgentRefusal(
      await propfind(betaUrl, alpha.credential.username, alpha.credential.password),
      'mount_path',
    );
    const rclone = await runRclone(remoteOf(alpha, alpha.credential.password, betaUrl), [
      'lsf',
      'dav:',
      ...ONE_TRY,
    ]);
    expect(rclone.exitCode).not.toBe(0);
  });

  it('a read-only profile reads but cannot write', async () => {
    const profile = await issue(exportOf('Alpha').id, { readonly: true });
    expect(profile.readonly).toBe(true);
    expect(inspectBetterNasPassword(profile.credential.password, SECRET).claims.readonly).toBe(true);
    const listing = await runRclone(remoteOf(profile), ['lsf', 'dav:']);
    expect(listing.exitCode, listing.stderr).toBe(0);
    expect(listing.stdout.split('\n')).toContain('seed.txt');
    const local = tempDir('betternas-rclone-ro-');
    writeFileSync(join(local, 'refused.txt'), 'must not land');
    const write = await runRclone(remoteOf(profile), ['copy', local, 'dav:readonly-attempt', ...ONE_TRY]);
    expect(write.exitCode).not.toBe(0);
    expect(existsSync(join(folders.alpha, 'readonly-attempt', 'refused.txt'))).toBe(false);
    const put = await fetch(`${profile.mountUrl}direct.txt`, {
      method: 'PUT',
      headers: { authorization: basicHeader(profile.credential.username, profile.credential.password) },
      body: 'x',
    });
    await expectAgentRefusal(put, 'readonly');
    expect(existsSync(join(folders.alpha, 'direct.txt'))).toBe(false);
  });

  it('refuses a tampered password (401, Basic), in the tag or in the claims', async () => {
    const profile = await issue(exportOf('Beta').id);
    const { username, password } = profile.credential;
    const dot = password.indexOf('.');
    // Not the tag's last character: its two low bits are padding that decoding drops.
    for (const at of [password.length - 5, dot + 3, 12]) {
      await expectAgentRefusal(await propfind(profile.mountUrl, username, flip(password, at)), 'tag');
    }
    const rclone = await runRclone(remoteOf(profile, flip(password, password.length - 5)), [
      'lsf',
      'dav:',
      ...ONE_TRY,
    ]);
    expect(rclone.exitCode).not.toBe(0);
  });

  it('the test agent refuses what betterNAS agents refuse, so what it accepts is the real format', async () => {
    const profile = await issue(exportOf('Alpha').id);
    const issued = inspectBetterNasPassword(profile.credential.password, SECRET)
      .claims as unknown as BetterNasClaimsLike;
    const { username } = profile.credential;
    const forged = (change: Partial<BetterNasClaimsLike>, secret = SECRET) =>
      signBetterNasPassword({ ...issued, ...change }, secret);
    const past = rfc3339Utc(Date.now() - 60_000);
    const cases: [string, string, string][] = [
      [username, forged({ v: 2 }), 'version'],
      [username, forged({ nodeId: '' }), 'empty_field'],
      [username, forged({ mountPath: '' }), 'empty_field'],
      ['', forged({ username: '' }), 'empty_field'],
      [username, forged({ expiresAt: '' }), 'empty_field'],
      [username, forged({ expiresAt: 'next tuesday' }), 'expiry_unparsable'],
      [username, forged({ expiresAt: past }), 'expired'],
      [`mount-${'x'.repeat(32)}`, forged({}), 'username'],
      [username, forged({ nodeId: `${agent.nodeId}-other` }), 'node'],
      [username, forged({ mountPath: exportOf('Beta').mountPath }), 'mount_path'],
      [username, forged({}, HOMEPORT_SECRET), 'tag'],
    ];
    for (const [user, password, reason] of cases) {
      await expectAgentRefusal(await propfind(profile.mountUrl, user, password), reason);
    }
    const missing = await fetch(profile.mountUrl, { method: 'PROPFIND', headers: { depth: '0' } });
    await expectAgentRefusal(missing, 'missing');
    // The genuine one passes (and the agent's Basic parsing gives back what was sent).
    expect(parseBasic(basicHeader(username, profile.credential.password))).toEqual({
      username,
      password: profile.credential.password,
    });
    expect((await propfind(profile.mountUrl, username, profile.credential.password)).status).toBe(207);
  });

  it('restarted, it re-registers with its saved node token: same node id, no new token, still served', async () => {
    const before = {
      nodeId: agent.nodeId,
      machineId: agent.machineId,
      stateDir: agent.stateDir,
      port: agent.port,
    };
    await agent.stop();
    agent = await startBetterNasAgent({
      controlPlaneUrl: homeport.url,
      bootstrapToken: BOOTSTRAP,
      secret: SECRET,
      exports: [
        { label: 'Alpha', path: folders.alpha },
        { label: 'Beta', path: folders.beta },
      ],
      stateDir: before.stateDir,
      port: before.port,
    });
    expect(agent.registeredWith).toBe('node-token');
    expect(agent.receivedToken).toBe(false);
    expect(agent.machineId).toBe(before.machineId);
    expect(agent.nodeId).toBe(before.nodeId);
    const nodes = await wire<WireNasNode[]>(homeport.url, '/api/v1/nodes', { token: CLIENT });
    expect(nodes.body.filter((node) => node.machineId === before.machineId).map((node) => node.id)).toEqual([
      before.nodeId,
    ]);
    const profile = await issue(exportOf('Beta').id);
    await roundTrip(profile, folders.beta);
  });
});
