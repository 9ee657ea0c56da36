// Deploy triggers on a real dockerd and registries: a registry whose notifications point at the Homeport's
// webhook deploys what is pushed to it; the webhook's token, deduplication, tag patterns and supersede of a
// queued older push; and the registry poller noticing a new tag.

import { randomUUID } from 'node:crypto';
import { pushTestImage, type RegistryInstance, startRegistry, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '../src/model.js';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  startDeployHomeport,
  startEngine,
} from './support/deploy-homeport.js';

const ENVELOPE_TYPE = 'application/vnd.docker.distribution.events.v1+json';
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

let engine: Engine;
let h: DeployHomeport;
/** A second registry, started once the Homeport listens, posting its notifications to the webhook. */
let hooked: RegistryInstance;

beforeAll(async () => {
  engine = await startEngine();
  // The poller's tick is shortened; a project's interval keeps its 10 s minimum.
  h = await startDeployHomeport(engine, { module: { pollerTickMs: 200 } });
  hooked = await startRegistry({
    notifications: {
      url: `${h.url}/api/v1/deploy/webhooks/registry`,
      token: h.deploy.webhookToken(),
    },
  });
}, 120_000);

afterAll(async () => {
  await hooked?.stop();
  await h?.close();
  await engine?.stop();
}, 60_000);

async function project(name: string, extra: Record<string, unknown> = {}) {
  const created = await h.api('POST', '/projects', { name, ...extra });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
}

async function stage(projectName: string, name: string, config: Record<string, unknown>) {
  const created = await h.api('POST', `/projects/${projectName}/stages`, { name, config });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
}

async function history(projectName: string, stageName: string): Promise<DeployRecord[]> {
  const answer = await h.api('GET', `/projects/${projectName}/stages/${stageName}/deploys`);
  expect(answer.status).toBe(200);
  return answer.json;
}

/** Waits for the stage's newest deploy matching `match` to finish; returns it. */
async function waitFor(
  projectName: string,
  stageName: string,
  match: (d: DeployRecord) => boolean,
  timeoutMs = 30_000,
): Promise<DeployRecord> {
  let found: DeployRecord | undefined;
  await until(
    async () => {
      found = (await history(projectName, stageName)).find(match);
      return found !== undefined;
    },
    timeoutMs,
    100,
  );
  if (!found) throw new Error('no such deploy');
  return h.finished(found.id);
}

function pushEvent(registry: string, repository: string, tag: string, digest: string, id = randomUUID()) {
  return {
    id,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: {
      mediaType: MANIFEST_TYPE,
      size: 528,
      digest,
      length: 528,
      repository,
      url: `http://${registry}/v2/${repository}/manifests/${digest}`,
      tag,
    },
    request: { id: randomUUID(), addr: '127.0.0.1:40000', host: registry, method: 'PUT', useragent: 'test' },
    actor: {},
    source: { addr: 'registry:5000', instanceID: randomUUID() },
  };
}

async function postEnvelope(events: unknown[], token: string | null = h.deploy.webhookToken()) {
  const response = await fetch(`${h.url}/api/v1/deploy/webhooks/registry`, {
    method: 'POST',
    headers: {
      'content-type': ENVELOPE_TYPE,
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ events }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

describe('deploy triggers', () => {
  it('deploys what is pushed to a registry whose notifications point at the webhook', async () => {
    await project('hook');
    await stage('hook', 'production', stageConfig(`${hooked.host}/hook/web`, 'hook.test'));
    const v1 = await pushTestImage(hooked, { repository: 'hook/web', tag: 'v1', version: 'hook-v1' });
    const first = await waitFor('hook', 'production', (d) => d.digest === v1.digest);
    expect(first.status, JSON.stringify(first)).toBe('succeeded');
    expect(first.trigger).toBe('webhook');
    expect(first.tag).toBe('v1');
    expect((await h.viaProxy('hook.test')).body).toContain('hook-v1');

    const v2 = await pushTestImage(hooked, { repository: 'hook/web', tag: 'v2', version: 'hook-v2' });
    const second = await waitFor('hook', 'production', (d) => d.digest === v2.digest);
    expect(second.status, JSON.stringify(second)).toBe('succeeded');
    expect((await h.viaProxy('hook.test')).body).toContain('hook-v2');
    // The pulls dockerd made (pull events) and the blob pushes deployed nothing more.
    expect((await history('hook', 'production')).map((d) => d.tag)).toEqual(['v2', 'v1']);
  }, 60_000);

  it('answers 401 to a missing or wrong token and queues nothing', async () => {
    await project('token');
    await stage('token', 'production', stageConfig(`${engine.registry.host}/token/web`, null));
    const v1 = await pushTestImage(engine.registry, { repository: 'token/web', tag: 'v1' });
    const event = pushEvent(engine.registry.host, 'token/web', 'v1', v1.digest);
    const right = h.deploy.webhookToken();
    for (const token of [null, '', 'wrong', right.slice(0, -1), `${right}x`, right.toUpperCase()]) {
      const answer = await postEnvelope([event], token);
      expect(answer.status, String(token)).toBe(401);
    }
    const basic = await fetch(`${h.url}/api/v1/deploy/webhooks/registry`, {
      method: 'POST',
      headers: {
        'content-type': ENVELOPE_TYPE,
        authorization: `Basic ${Buffer.from(`x:${right}`).toString('base64')}`,
      },
      body: JSON.stringify({ events: [event] }),
    });
    expect(basic.status).toBe(401);
    // An admin session is not the webhook's token either.
    const session = await fetch(`${h.url}/api/v1/deploy/webhooks/registry`, {
      method: 'POST',
      headers: { 'content-type': ENVELOPE_TYPE, authorization: `Bearer ${h.admin}` },
      body: JSON.stringify({ events: [event] }),
    });
    expect(session.status).toBe(401);
    expect(await history('token', 'production')).toEqual([]);
    // The same event with the token is taken: the refusals above did not claim it.
    const accepted = await postEnvelope([event]);
    expect(accepted.status).toBe(202);
    expect(accepted.json.accepted).toBe(1);
    expect((await waitFor('token', 'production', () => true)).status).toBe('succeeded');
  }, 60_000);

  it('deploys a repeated envelope (same event id and digest) once', async () => {
    await project('dedupe');
    await stage('dedupe', 'production', stageConfig(`${engine.registry.host}/dedupe/web`, null));
    await stage('dedupe', 'sentinel', stageConfig(`${engine.registry.host}/dedupe/sentinel`, null));
    const v1 = await pushTestImage(engine.registry, { repository: 'dedupe/web', tag: 'v1' });
    const s1 = await pushTestImage(engine.registry, { repository: 'dedupe/sentinel', tag: 's1' });
    const event = pushEvent(engine.registry.host, 'dedupe/web', 'v1', v1.digest);
    // A registry retries an envelope it got no answer for: the same event arrives again, even at once.
    const answers = await Promise.all([postEnvelope([event]), postEnvelope([event]), postEnvelope([event])]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const first = await waitFor('dedupe', 'production', () => true);
    expect(first.status).toBe('succeeded');
    // Once more after it finished, followed in the same envelope by a sentinel push: the events of an
    // envelope are handled in order, so once the sentinel's deploy exists the repeat was handled.
    const sentinel = pushEvent(engine.registry.host, 'dedupe/sentinel', 's1', s1.digest);
    expect((await postEnvelope([event, sentinel])).status).toBe(202);
    await waitFor('dedupe', 'sentinel', () => true);
    expect((await history('dedupe', 'production')).map((d) => d.id)).toEqual([first.id]);
  }, 60_000);

  it('ignores a pushed tag that does not match the stage pattern', async () => {
    await project('pattern');
    const image = `${engine.registry.host}/pattern/web`;
    await stage('pattern', 'production', {
      ...stageConfig(image, null),
      tagPattern: { kind: 'regex', value: '^v[0-9]+$' },
    });
    await stage('pattern', 'sentinel', stageConfig(`${engine.registry.host}/pattern/sentinel`, null));
    const latest = await pushTestImage(engine.registry, { repository: 'pattern/web', tag: 'latest' });
    const rc = await pushTestImage(engine.registry, {
      repository: 'pattern/web',
      tag: 'v2-rc1',
      version: 'rc',
    });
    const s1 = await pushTestImage(engine.registry, { repository: 'pattern/sentinel', tag: 's1' });
    const answer = await postEnvelope([
      pushEvent(engine.registry.host, 'pattern/web', 'latest', latest.digest),
      pushEvent(engine.registry.host, 'pattern/web', 'v2-rc1', rc.digest),
      pushEvent(engine.registry.host, 'pattern/sentinel', 's1', s1.digest),
    ]);
    expect(answer.status).toBe(202);
    await waitFor('pattern', 'sentinel', () => true);
    expect(await history('pattern', 'production')).toEqual([]);
    // A matching tag of the same image is deployed.
    const v3 = await pushTestImage(engine.registry, { repository: 'pattern/web', tag: 'v3' });
    await postEnvelope([pushEvent(engine.registry.host, 'pattern/web', 'v3', v3.digest)]);
    const deployed = await waitFor('pattern', 'production', () => true);
    expect(deployed.tag).toBe('v3');
    expect(deployed.status).toBe('succeeded');
  }, 60_000);

  it('lets a newer matching push supersede a queued older one while the stage is busy', async () => {
    await project('busy');
    const image = `${engine.registry.host}/busy/web`;
    await stage('busy', 'production', stageConfig(image, 'busy.test'));
    await pushTestImage(engine.registry, {
      repository: 'busy/web',
      tag: 'v1',
      version: 'busy-v1',
      variant: 'slow-start',
      startDelaySec: 3,
    });
    const v2 = await pushTestImage(engine.registry, {
      repository: 'busy/web',
      tag: 'v2',
      version: 'busy-v2',
    });
    const v3 = await pushTestImage(engine.registry, {
      repository: 'busy/web',
      tag: 'v3',
      version: 'busy-v3',
    });
    const running = await h.api('POST', '/projects/busy/stages/production/deploys', { tag: 'v1' });
    expect(running.status).toBe(202);
    await until(
      async () => (await h.api('GET', `/deploys/${running.json.id}`)).json.status === 'running',
      10_000,
      50,
    );

    await postEnvelope([pushEvent(engine.registry.host, 'busy/web', 'v2', v2.digest)]);
    const queued = await waitForStatus('busy', 'production', (d) => d.tag === 'v2', 'queued');
    await postEnvelope([pushEvent(engine.registry.host, 'busy/web', 'v3', v3.digest)]);
    const newer = await waitFor('busy', 'production', (d) => d.tag === 'v3');
    expect(newer.status, JSON.stringify(newer)).toBe('succeeded');
    expect((await h.finished(running.json.id)).status).toBe('succeeded');
    expect((await h.api('GET', `/deploys/${queued.id}`)).json.status).toBe('superseded');
    expect((await h.viaProxy('busy.test')).body).toContain('busy-v3');
    // v2 never ran: no release was made for it.
    const releases = (await h.api('GET', '/projects/busy/stages/production/releases')).json;
    expect(releases.map((r: { tag: string }) => r.tag).sort()).toEqual(['v1', 'v3']);
  }, 60_000);

  it('the poller notices a new tag in the registry and deploys it', async () => {
    const image = `${engine.registry.host}/poll/web`;
    await pushTestImage(engine.registry, { repository: 'poll/web', tag: '1.0.0', version: 'poll-1.0.0' });
    await project('poll', { pollIntervalMs: 10_000 });
    await stage('poll', 'production', {
      ...stageConfig(image, 'poll.test'),
      tagPattern: { kind: 'semver', value: '^1.0.0' },
    });
    const first = await waitFor('poll', 'production', () => true);
    expect(first.status, JSON.stringify(first)).toBe('succeeded');
    expect(first.trigger).toBe('poller');
    expect(first.tag).toBe('1.0.0');
    // A tag outside the range is never picked; the newest in range is.
    await pushTestImage(engine.registry, { repository: 'poll/web', tag: '2.0.0', version: 'poll-2.0.0' });
    const next = await pushTestImage(engine.registry, {
      repository: 'poll/web',
      tag: '1.2.0',
      version: 'poll-1.2.0',
    });
    const second = await waitFor('poll', 'production', (d) => d.digest === next.digest, 25_000);
    expect(second.status, JSON.stringify(second)).toBe('succeeded');
    expect(second.tag).toBe('1.2.0');
    expect((await h.viaProxy('poll.test')).body).toContain('poll-1.2.0');
    expect((await history('poll', 'production')).map((d) => d.tag)).toEqual(['1.2.0', '1.0.0']);
  }, 60_000);
});

/** Waits until the stage has a deploy matching `match` in `status`; returns it. */
async function waitForStatus(
  projectName: string,
  stageName: string,
  match: (d: DeployRecord) => boolean,
  status: DeployRecord['status'],
): Promise<DeployRecord> {
  let found: DeployRecord | undefined;
  await until(
    async () => {
      found = (await history(projectName, stageName)).find((d) => match(d) && d.status === status);
      return found !== undefined;
    },
    10_000,
    50,
  );
  if (!found) throw new Error('no such deploy');
  return found;
}
