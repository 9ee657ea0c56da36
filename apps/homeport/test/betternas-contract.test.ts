// betterNAS's control-plane contract, black box over HTTP against a real Homeport process: requests as
// betterNAS's agent, clients and Nextcloud app send them (shared/reference/betternas.v1.openapi.yaml and
// betternas-compat.md), plus a few Homeport-agent registrations where the difference is the point.

import { randomBytes } from 'node:crypto';
import { type HomeportInstance, startHomeport } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLAIM_ORDER,
  checkBetterNasCredential,
  expectBearerChallenge,
  expectMountProfile,
  expectNasNode,
  expectStorageExport,
  HOMEPORT_AGENT_HEADER,
  inspectBetterNasPassword,
  isRfc3339,
  NODE_TOKEN_HEADER,
  rfc3339Utc,
  sha256Hex,
  type WireExportInput,
  type WireMountProfile,
  type WireNasNode,
  type WireStorageExport,
  waitFor,
  wire,
} from './support/betternas-wire.js';

const BOOTSTRAP = 'betternas-bootstrap-token-0123456789';
const CLIENT = 'betternas-client-token-0123456789abcd';
const SECRET = 'betternas-shared-dav-secret-0123456789';
const NEXTCLOUD = 'https://cloud.example.test/';

/** betterNAS's environment; the servers differ in Nextcloud and in what members get by default. */
const env = (extra: Record<string, string | undefined>) => ({
  BETTERNAS_CONTROL_PLANE_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
  BETTERNAS_CONTROL_PLANE_CLIENT_TOKEN: CLIENT,
  BETTERNAS_DAV_AUTH_SECRET: SECRET,
  BETTERNAS_NEXTCLOUD_BASE_URL: undefined,
  HOMEPORT_EMBEDDED_AGENT: 'false',
  HOMEPORT_NODE_OFFLINE_THRESHOLD: '2s',
  HOMEPORT_REGISTRATION_ENABLED: 'true',
  HOMEPORT_LOG_LEVEL: 'warn',
  ...extra,
});

/** Default access none, Nextcloud configured. */
let main: HomeportInstance;
/** Default access read-write, no Nextcloud. */
let open: HomeportInstance;
/** Default access read-only. */
let readOnly: HomeportInstance;

beforeAll(async () => {
  [main, open, readOnly] = await Promise.all([
    startHomeport({ env: env({ BETTERNAS_NEXTCLOUD_BASE_URL: NEXTCLOUD }) }),
    startHomeport({ env: env({ HOMEPORT_NAS_DEFAULT_ACCESS: 'read-write' }) }),
    startHomeport({ env: env({ HOMEPORT_NAS_DEFAULT_ACCESS: 'read-only' }) }),
  ]);
});

afterAll(async () => {
  await Promise.all([main?.process.stop(), open?.process.stop(), readOnly?.process.stop()]);
});

// ---------------------------------------------------------------------------------------------------------
// Helpers: a node as betterNAS's agent enrols it

const uniqueMachine = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
/** betterNAS's mount path for one of several exports: 78 characters. */
const hexMountPath = (path: string) => `/dav/exports/${sha256Hex(path)}/`;

const registration = (machineId: string, overrides: Record<string, unknown> = {}) => ({
  machineId,
  displayName: 'Basement NAS',
  agentVersion: '0.1.0',
  directAddress: 'http://nas.example.test:8090',
  relayAddress: null,
  ...overrides,
});

const exportInput = (path: string, label = 'Photos'): WireExportInput => ({
  label,
  path,
  mountPath: hexMountPath(path),
  protocols: ['webdav'],
  capacityBytes: 1_000_000_000,
  tags: ['family'],
});

interface Enrolled {
  node: WireNasNode;
  token: string;
  exports: WireStorageExport[];
}

/** Registers a new machine (bootstrap), syncs `paths` as exports and heartbeats once, checking each answer. */
async function enrol(
  server: HomeportInstance,
  options: { paths?: string[]; directAddress?: string | null; homeportAgent?: boolean } = {},
): Promise<Enrolled> {
  const paths = options.paths ?? [`/srv/${randomBytes(4).toString('hex')}`];
  const registered = await wire<WireNasNode>(server.url, '/api/v1/nodes/register', {
    method: 'POST',
    token: BOOTSTRAP,
    body: registration(uniqueMachine('enrolled'), {
      ...(options.directAddress === undefined ? {} : { directAddress: options.directAddress }),
    }),
    headers: options.homeportAgent ? { [HOMEPORT_AGENT_HEADER]: '2' } : {},
  });
  expect(registered.status, registered.text).toBe(200);
  const token = registered.headers.get(NODE_TOKEN_HEADER);
  if (!token) throw new Error('registration without X-BetterNAS-Node-Token');
  const node = registered.body;
  const inputs = paths.map((path, index) =>
    options.homeportAgent && paths.length === 1
      ? { ...exportInput(path, `Export ${index}`), mountPath: '/dav/witness/' }
      : exportInput(path, `Export ${index}`),
  );
  const synced = await wire<WireStorageExport[]>(server.url, `/api/v1/nodes/${node.id}/exports`, {
    method: 'PUT',
    token,
    body: { exports: inputs },
  });
  expect(synced.status, synced.text).toBe(200);
  await heartbeat(server, node.id, token);
  return { node, token, exports: synced.body };
}

async function heartbeat(server: HomeportInstance, nodeId: string, token: string, lastSeenAt?: string) {
  const response = await wire(server.url, `/api/v1/nodes/${nodeId}/heartbeat`, {
    method: 'POST',
    token,
    body: { nodeId, status: 'online', lastSeenAt: lastSeenAt ?? rfc3339Utc(Date.now()) },
  });
  expect(response.status, response.text).toBe(204);
}

async function listedNode(server: HomeportInstance, nodeId: string): Promise<WireNasNode | undefined> {
  const nodes = await wire<WireNasNode[]>(server.url, '/api/v1/nodes', { token: CLIENT });
  expect(nodes.status, nodes.text).toBe(200);
  return nodes.body.find((node) => node.id === nodeId);
}

async function listedExports(server: HomeportInstance, token = CLIENT): Promise<WireStorageExport[]> {
  const exports = await wire<WireStorageExport[]>(server.url, '/api/v1/exports', { token });
  expect(exports.status, exports.text).toBe(200);
  return exports.body;
}

const issueProfile = (server: HomeportInstance, exportId: string, token = CLIENT) =>
  wire<WireMountProfile>(server.url, '/api/v1/mount-profiles/issue', {
    method: 'POST',
    token,
    body: { exportId },
  });

async function signUp(server: HomeportInstance, username: string): Promise<string> {
  const response = await wire<{ token: string }>(server.url, '/api/v1/auth/register', {
    method: 'POST',
    body: { username, password: 'long-enough-password' },
  });
  expect(response.status, response.text).toBe(201);
  return response.body.token;
}

/** Checks a profile's password exactly as the facts file describes the format. */
function expectBetterNasPassword(profile: WireMountProfile, exported: WireStorageExport): void {
  const inspected = inspectBetterNasPassword(profile.credential.password, SECRET);
  expect(inspected.wellFormed, `unpadded base64url "claims.tag": ${profile.credential.password}`).toBe(true);
  expect(inspected.tagBytes, 'the full 32-byte HMAC-SHA256 tag').toBe(32);
  expect(inspected.tagValid, 'HMAC-SHA256 keyed by BETTERNAS_DAV_AUTH_SECRET over the base64url claims').toBe(
    true,
  );
  expect(Object.keys(inspected.claims), `claim order in ${inspected.json}`).toEqual([...CLAIM_ORDER]);
  expect(inspected.claims).toEqual({
    v: 1,
    nodeId: exported.nasNodeId,
    mountPath: exported.mountPath,
    username: profile.credential.username,
    readonly: profile.readonly,
    expiresAt: profile.credential.expiresAt,
  });
  const verdict = checkBetterNasCredential(profile.credential.username, profile.credential.password, {
    secret: SECRET,
    nodeId: exported.nasNodeId,
    mountPath: exported.mountPath,
    nowMs: Date.now(),
    write: false,
  });
  expect(verdict).toEqual({ ok: true, readonly: profile.readonly });
}

// ---------------------------------------------------------------------------------------------------------

describe('health and version', () => {
  it('GET /health answers the control plane JSON with the Nextcloud it is configured with', async () => {
    const response = await wire<Record<string, unknown>>(main.url, '/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    expect(response.body).toMatchObject({
      service: 'control-plane',
      status: 'ok',
      nextcloud: { configured: true, baseUrl: 'https://cloud.example.test', provider: 'nextcloud' },
    });
    expect(isRfc3339(response.body.timestamp), `timestamp ${String(response.body.timestamp)}`).toBe(true);
    expect(response.body.uptimeSeconds).toBeTypeOf('number');
    expect(response.body.uptimeSeconds as number).toBeGreaterThanOrEqual(0);
  });

  it('GET /health reports Nextcloud unconfigured with an empty base URL when none is set', async () => {
    const response = await wire<Record<string, unknown>>(open.url, '/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    expect(response.body).toMatchObject({
      service: 'control-plane',
      status: 'ok',
      nextcloud: { configured: false, baseUrl: '', provider: 'nextcloud' },
    });
  });

  it('GET /version answers service, version and apiVersion v1 as JSON', async () => {
    const response = await wire<Record<string, unknown>>(main.url, '/version');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    expect(response.body).toMatchObject({ service: 'control-plane', apiVersion: 'v1' });
    expect(response.body.version).toBeTypeOf('string');
  });
});

describe('node registration', () => {
  it('registers a new machine with the bootstrap token: a NasNode and a token in X-BetterNAS-Node-Token', async () => {
    const machineId = uniqueMachine('new');
    const response = await wire<WireNasNode>(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(machineId),
    });
    expect(response.status, response.text).toBe(200);
    expectNasNode(response.body);
    expect(response.body).toMatchObject({
      machineId,
      displayName: 'Basement NAS',
      agentVersion: '0.1.0',
      status: 'online',
      directAddress: 'http://nas.example.test:8090',
      relayAddress: null,
      agentKind: 'betternas',
    });
    expect(response.headers.get(NODE_TOKEN_HEADER) ?? '').not.toBe('');
    const listed = await listedNode(main, response.body.id);
    expect(listed).toMatchObject({ machineId, agentKind: 'betternas' });
  });

  it('re-registers a known machine with its node token: same node, no new token, the old one still works', async () => {
    const machineId = uniqueMachine('known');
    const first = await wire<WireNasNode>(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(machineId),
    });
    expect(first.status, first.text).toBe(200);
    const token = first.headers.get(NODE_TOKEN_HEADER) ?? '';
    expect(token).not.toBe('');
    const again = await wire<WireNasNode>(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token,
      body: registration(machineId),
    });
    expect(again.status, again.text).toBe(200);
    expectNasNode(again.body);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get(NODE_TOKEN_HEADER)).toBeNull();
    await heartbeat(main, first.body.id, token);
  });

  it('refuses a known machine presenting only the bootstrap token (401, Bearer)', async () => {
    const machineId = uniqueMachine('taken');
    const first = await wire(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(machineId),
    });
    expect(first.status, first.text).toBe(200);
    const again = await wire(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(machineId),
    });
    expectBearerChallenge(again, 'known machine with the bootstrap token');
  });

  it('refuses a registration without a token or with a wrong one (401, Bearer)', async () => {
    const none = await wire(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      body: registration(uniqueMachine('anonymous')),
    });
    expectBearerChallenge(none, 'register without a token');
    const wrong = await wire(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: 'not-the-bootstrap-token-0123456789',
      body: registration(uniqueMachine('wrong')),
    });
    expectBearerChallenge(wrong, 'register with a wrong token');
  });

  it('trims machineId, displayName, agentVersion and directAddress', async () => {
    const response = await wire<WireNasNode>(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration('  m-1  ', {
        displayName: '  Attic NAS  ',
        agentVersion: ' 0.2.0 ',
        directAddress: '  https://attic.example.test:8443/base  ',
      }),
    });
    expect(response.status, response.text).toBe(200);
    const expected = {
      machineId: 'm-1',
      displayName: 'Attic NAS',
      agentVersion: '0.2.0',
      directAddress: 'https://attic.example.test:8443/base',
    };
    expect(response.body).toMatchObject(expected);
    expect(await listedNode(main, response.body.id)).toMatchObject(expected);
  });

  it.each([
    ['machineId', ''],
    ['machineId', '   '],
    ['displayName', ''],
    ['displayName', '   '],
    ['agentVersion', ''],
    ['agentVersion', ' \t '],
  ])('rejects a blank %s (%j) with 400', async (field, value) => {
    const response = await wire(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(uniqueMachine('blank'), { [field]: value }),
    });
    expect(response.status, response.text).toBe(400);
    expect(response.text).not.toBe('');
  });

  it.each([
    'ftp://nas.example.test/',
    'http://nas.example.test/x?y',
    'http://nas.example.test/#f',
    'relative',
    '/dav/',
  ])('rejects the directAddress %j with 400', async (directAddress) => {
    const response = await wire(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(uniqueMachine('address'), { directAddress }),
    });
    expect(response.status, response.text).toBe(400);
  });

  it('accepts null directAddress and relayAddress', async () => {
    const response = await wire<WireNasNode>(main.url, '/api/v1/nodes/register', {
      method: 'POST',
      token: BOOTSTRAP,
      body: registration(uniqueMachine('relayless'), { directAddress: null, relayAddress: null }),
    });
    expect(response.status, response.text).toBe(200);
    expectNasNode(response.body);
    expect(response.body).toMatchObject({ directAddress: null, relayAddress: null });
  });
});

describe('heartbeat', () => {
  it('accepts a heartbeat (204) and stores the lastSeenAt the node sent', async () => {
    const { node, token } = await enrol(main);
    // 90 s ago, whole seconds, written with a +02:00 offset: the instant is what must be kept.
    const instant = Math.floor(Date.now() / 1000) * 1000 - 90_000;
    const local = new Date(instant + 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+02:00');
    await heartbeat(main, node.id, token, local);
    const listed = await listedNode(main, node.id);
    expectNasNode(listed);
    expect(Date.parse(listed.lastSeenAt), `stored ${listed.lastSeenAt}, sent ${local}`).toBe(instant);
    expect(listed.status).toBe('online');
  });

  it('answers 404 for an unknown node whatever the token', async () => {
    const { token } = await enrol(main);
    for (const presented of [token, BOOTSTRAP, 'some-random-token-0123456789abcdef']) {
      const response = await wire(main.url, '/api/v1/nodes/no-such-node/heartbeat', {
        method: 'POST',
        token: presented,
        body: { nodeId: 'no-such-node', status: 'online', lastSeenAt: rfc3339Utc(Date.now()) },
      });
      expect(response.status, `${presented}: ${response.text}`).toBe(404);
    }
  });

  it("refuses a known node's heartbeat without its token or with another's (401, Bearer)", async () => {
    const { node } = await enrol(main);
    const other = await enrol(main);
    const body = { nodeId: node.id, status: 'online', lastSeenAt: rfc3339Utc(Date.now()) };
    for (const [what, token] of [
      ['another node', other.token],
      ['the bootstrap token', BOOTSTRAP],
      ['a made-up token', 'made-up-token-0123456789abcdef'],
      ['no token', undefined],
    ] as const) {
      const response = await wire(main.url, `/api/v1/nodes/${node.id}/heartbeat`, {
        method: 'POST',
        ...(token === undefined ? {} : { token }),
        body,
      });
      expectBearerChallenge(response, `heartbeat with ${what}`);
    }
  });

  it.each([
    ['lastSeenAt not RFC 3339', { lastSeenAt: 'yesterday' }],
    ['lastSeenAt on a day that does not exist', { lastSeenAt: '2026-13-45T12:00:00Z' }],
    ['lastSeenAt without a zone', { lastSeenAt: '2026-11-30T12:00:00' }],
    ['lastSeenAt as Unix seconds', { lastSeenAt: '1764504000' }],
    ['a nodeId other than the path', { nodeId: 'someone-else' }],
    ['a status outside the enum', { status: 'sleeping' }],
  ])('rejects a heartbeat with %s (400)', async (_what, change) => {
    const { node, token } = await enrol(main);
    const response = await wire(main.url, `/api/v1/nodes/${node.id}/heartbeat`, {
      method: 'POST',
      token,
      body: { nodeId: node.id, status: 'online', lastSeenAt: rfc3339Utc(Date.now()), ...change },
    });
    expect(response.status, response.text).toBe(400);
  });
});

describe('export sync', () => {
  it('accepts /dav/exports/<sha256 hex>/ mount paths and answers the StorageExports', async () => {
    const { node, token } = await enrol(main, { paths: [] });
    const inputs = [exportInput('/srv/photos', 'Photos'), exportInput('/srv/music', 'Music')];
    expect(inputs.map((input) => input.mountPath?.length)).toEqual([78, 78]);
    const response = await wire<WireStorageExport[]>(main.url, `/api/v1/nodes/${node.id}/exports`, {
      method: 'PUT',
      token,
      body: { exports: inputs },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toHaveLength(2);
    for (const item of response.body) expectStorageExport(item);
    const byPath = (path: string) => response.body.find((item) => item.path === path);
    for (const input of inputs) {
      expect(byPath(input.path ?? '')).toMatchObject({
        nasNodeId: node.id,
        label: input.label,
        mountPath: input.mountPath,
        protocols: ['webdav'],
        capacityBytes: 1_000_000_000,
        tags: ['family'],
      });
    }
  });

  it('replaces the inventory as a whole: a later sync of one export removes the other', async () => {
    const { node, token } = await enrol(main, { paths: ['/srv/keep', '/srv/drop'] });
    const before = (await listedExports(main)).filter((item) => item.nasNodeId === node.id);
    expect(before.map((item) => item.path).sort()).toEqual(['/srv/drop', '/srv/keep']);
    const response = await wire<WireStorageExport[]>(main.url, `/api/v1/nodes/${node.id}/exports`, {
      method: 'PUT',
      token,
      body: { exports: [exportInput('/srv/keep', 'Export 0')] },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.map((item) => item.path)).toEqual(['/srv/keep']);
    const after = (await listedExports(main)).filter((item) => item.nasNodeId === node.id);
    expect(after.map((item) => item.path)).toEqual(['/srv/keep']);
  });

  const base = exportInput('/srv/broken', 'Broken');
  const without = (field: keyof WireExportInput): WireExportInput => {
    const copy = { ...base };
    delete copy[field];
    return copy;
  };
  it.each([
    ['a missing label', without('label')],
    ['an empty label', { ...base, label: '' }],
    ['a blank label', { ...base, label: '   ' }],
    ['a missing path', without('path')],
    ['an empty path', { ...base, path: '' }],
    ['a blank path', { ...base, path: '  ' }],
    ['a missing mountPath', without('mountPath')],
    ['an empty mountPath', { ...base, mountPath: '' }],
    ['a blank mountPath', { ...base, mountPath: '   ' }],
    ['no protocol', { ...base, protocols: [] }],
    ['a missing protocols list', without('protocols')],
  ])('rejects an export with %s (400) and keeps the inventory', async (_what, broken) => {
    const { node, token, exports } = await enrol(main);
    const response = await wire(main.url, `/api/v1/nodes/${node.id}/exports`, {
      method: 'PUT',
      token,
      body: { exports: [exportInput('/srv/fine', 'Fine'), broken] },
    });
    expect(response.status, response.text).toBe(400);
    const after = (await listedExports(main)).filter((item) => item.nasNodeId === node.id);
    expect(after.map((item) => item.id)).toEqual(exports.map((item) => item.id));
  });

  it('refuses a sync without the node token or with a wrong one (401, Bearer)', async () => {
    const { node } = await enrol(main);
    const other = await enrol(main);
    for (const [what, token] of [
      ['no token', undefined],
      ['another node', other.token],
      ['the bootstrap token', BOOTSTRAP],
    ] as const) {
      const response = await wire(main.url, `/api/v1/nodes/${node.id}/exports`, {
        method: 'PUT',
        ...(token === undefined ? {} : { token }),
        body: { exports: [exportInput('/srv/intruder')] },
      });
      expectBearerChallenge(response, `export sync with ${what}`);
    }
  });
});

describe('export list', () => {
  it('lists every export with its contract fields (path included) for the client token', async () => {
    const { exports } = await enrol(main, { paths: ['/srv/listed-a', '/srv/listed-b'] });
    const listed = await listedExports(main);
    for (const item of listed) expectStorageExport(item);
    for (const synced of exports) {
      expect(listed.find((item) => item.id === synced.id)).toMatchObject({
        nasNodeId: synced.nasNodeId,
        label: synced.label,
        path: synced.path,
        mountPath: synced.mountPath,
      });
    }
  });

  it('refuses the list without auth or with a wrong token (401, Bearer)', async () => {
    expectBearerChallenge(await wire(main.url, '/api/v1/exports'), 'export list without auth');
    expectBearerChallenge(
      await wire(main.url, '/api/v1/exports', { token: 'not-the-client-token-0123456789' }),
      'export list with a wrong token',
    );
    expectBearerChallenge(await wire(main.url, '/api/v1/nodes'), 'node list without auth');
  });
});

describe('mount profiles', () => {
  it("issues a profile: the export's label, directAddress + mountPath, a betterNAS basic-auth credential", async () => {
    const { exports } = await enrol(main, { directAddress: 'http://nas-profile.example.test:8090/' });
    const exported = exports[0];
    if (!exported) throw new Error('no export synced');
    const before = Date.now();
    const response = await issueProfile(main, exported.id);
    expect(response.status, response.text).toBe(200);
    const profile = response.body;
    expectMountProfile(profile);
    expect(profile).toMatchObject({
      exportId: exported.id,
      protocol: 'webdav',
      displayName: exported.label,
      mountUrl: `http://nas-profile.example.test:8090${exported.mountPath}`,
      readonly: false,
    });
    expect(Date.parse(profile.credential.expiresAt)).toBeGreaterThan(before);
    expectBetterNasPassword(profile, exported);
  });

  it('answers 404 for an unknown export', async () => {
    const response = await issueProfile(main, 'no-such-export');
    expect(response.status, response.text).toBe(404);
  });

  it('refuses to issue without auth or with a wrong token (401, Bearer)', async () => {
    const { exports } = await enrol(main);
    const exportId = exports[0]?.id ?? '';
    const none = await wire(main.url, '/api/v1/mount-profiles/issue', { method: 'POST', body: { exportId } });
    expectBearerChallenge(none, 'mount profile without auth');
    const wrong = await issueProfile(main, exportId, 'not-the-client-token-0123456789');
    expectBearerChallenge(wrong, 'mount profile with a wrong token');
  });

  it('keeps issuing for a betterNAS node past the offline threshold, while a silent Homeport node goes offline (503)', async () => {
    const witness = await enrol(main, { homeportAgent: true });
    const betternas = await enrol(main);
    expect((await listedNode(main, witness.node.id))?.agentKind).not.toBe('betternas');
    expect((await listedNode(main, betternas.node.id))?.agentKind).toBe('betternas');
    await waitFor('the Homeport node to go offline', async () =>
      (await listedNode(main, witness.node.id))?.status === 'offline' ? true : undefined,
    );
    expect((await listedNode(main, betternas.node.id))?.status).toBe('online');
    const exported = betternas.exports[0];
    if (!exported) throw new Error('no export synced');
    const issued = await issueProfile(main, exported.id);
    expect(issued.status, issued.text).toBe(200);
    expectMountProfile(issued.body);
    expectBetterNasPassword(issued.body, exported);
    const refused = await issueProfile(main, witness.exports[0]?.id ?? '');
    expect(refused.status, refused.text).toBe(503);
    // Homeport's error body; the code tells "offline" apart from other reasons to answer 503.
    expect((refused.body as unknown as { error: { code: string } }).error.code).toBe('node_offline');
  });
});

describe('cloud profiles', () => {
  /** `token: null` sends no Authorization header (undefined would take the default). */
  const cloud = (server: HomeportInstance, body: Record<string, unknown>, token: string | null = CLIENT) =>
    wire<Record<string, unknown>>(server.url, '/api/v1/cloud-profiles/issue', {
      method: 'POST',
      ...(token === null ? {} : { token }),
      body,
    });

  it("issues a Nextcloud profile pointing at the app's page for the export", async () => {
    const { exports } = await enrol(main);
    const exportId = exports[0]?.id ?? '';
    const response = await cloud(main, { userId: 'user-7', exportId, provider: 'nextcloud' });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({
      id: `cloud-user-7-${exportId}`,
      exportId,
      provider: 'nextcloud',
      baseUrl: 'https://cloud.example.test',
      path: `/apps/betternascontrolplane/exports/${encodeURIComponent(exportId)}`,
    });
  });

  it('answers 503 when no Nextcloud is configured', async () => {
    const { exports } = await enrol(open);
    const response = await cloud(open, { userId: 'user-7', exportId: exports[0]?.id, provider: 'nextcloud' });
    expect(response.status, response.text).toBe(503);
  });

  it('answers 404 for an unknown export', async () => {
    const response = await cloud(main, {
      userId: 'user-7',
      exportId: 'no-such-export',
      provider: 'nextcloud',
    });
    expect(response.status, response.text).toBe(404);
  });

  it.each([
    ['another provider', { provider: 'dropbox' }],
    ['no provider', { provider: undefined }],
    ['no userId', { userId: undefined }],
    ['an empty userId', { userId: '' }],
    ['a blank userId', { userId: '   ' }],
    ['no exportId', { exportId: undefined }],
    ['an empty exportId', { exportId: '' }],
    ['a blank exportId', { exportId: '   ' }],
  ])('rejects %s with 400', async (_what, change) => {
    const { exports } = await enrol(main);
    const body: Record<string, unknown> = {
      userId: 'user-7',
      exportId: exports[0]?.id,
      provider: 'nextcloud',
      ...change,
    };
    for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
    const response = await cloud(main, body);
    expect(response.status, response.text).toBe(400);
  });

  it('refuses without auth or with a wrong token (401, Bearer)', async () => {
    const { exports } = await enrol(main);
    const body = { userId: 'user-7', exportId: exports[0]?.id, provider: 'nextcloud' };
    expectBearerChallenge(await cloud(main, body, null), 'cloud profile without auth');
    expectBearerChallenge(
      await cloud(main, body, 'not-the-client-token-0123456789'),
      'cloud profile with a wrong token',
    );
  });
});

describe('who sees what', () => {
  it('a member who signs up sees no export and gets no profile by default (none)', async () => {
    const { exports } = await enrol(main);
    const member = await signUp(main, `none_${randomBytes(3).toString('hex')}`);
    expect(await listedExports(main, member)).toEqual([]);
    const response = await issueProfile(main, exports[0]?.id ?? '', member);
    expect([403, 404], `status ${response.status}: ${response.text}`).toContain(response.status);
  });

  it('with read-write by default a member sees every export and gets a writable profile', async () => {
    await enrol(open, { paths: ['/srv/rw-a', '/srv/rw-b'] });
    const all = await listedExports(open);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const member = await signUp(open, `rw_${randomBytes(3).toString('hex')}`);
    const seen = await listedExports(open, member);
    expect(seen.map((item) => item.id).sort()).toEqual(all.map((item) => item.id).sort());
    const exported = all.find((item) => item.path === '/srv/rw-b');
    if (!exported) throw new Error('no /srv/rw-b export');
    const response = await issueProfile(open, exported.id, member);
    expect(response.status, response.text).toBe(200);
    expectMountProfile(response.body);
    expect(response.body.readonly).toBe(false);
    expectBetterNasPassword(response.body, exported);
  });

  it('with read-only by default a member gets a read-only profile', async () => {
    const { exports } = await enrol(readOnly);
    const exported = exports[0];
    if (!exported) throw new Error('no export synced');
    const member = await signUp(readOnly, `ro_${randomBytes(3).toString('hex')}`);
    expect((await listedExports(readOnly, member)).map((item) => item.id)).toContain(exported.id);
    const response = await issueProfile(readOnly, exported.id, member);
    expect(response.status, response.text).toBe(200);
    expectMountProfile(response.body);
    expect(response.body.readonly).toBe(true);
    expectBetterNasPassword(response.body, exported);
  });
});
