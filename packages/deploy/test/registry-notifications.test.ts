// Distribution notification envelopes: a real registry posts one to a node:http endpoint when an image is
// pushed, and the parser turns it into exactly the manifest push (no blob pushes, no pulls); hand-written
// malformed envelopes are refused or yield nothing.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pushTestImage, startRegistry, until } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_MEDIA_TYPE, parseNotificationEnvelope } from '../src/registry/index.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const event = (overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}) => ({
  id: 'e1',
  timestamp: '2026-01-01T00:00:00Z',
  action: 'push',
  target: {
    mediaType: MANIFEST,
    digest: DIGEST,
    repository: 'team/app',
    tag: 'v1',
    url: 'http://127.0.0.1:5000/v2/team/app/manifests/sha256:b',
    ...target,
  },
  request: { host: '127.0.0.1:5000' },
  ...overrides,
});

describe('registry notification envelopes', () => {
  it('parses the envelope a real registry posts for a push into the manifest push event', async () => {
    const bodies: { type: string | undefined; body: string }[] = [];
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ type: req.headers['content-type'], body: Buffer.concat(chunks).toString() });
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((done) => hook.listen(0, '127.0.0.1', done));
    const port = (hook.address() as AddressInfo).port; // TCP: an AddressInfo
    const registry = await startRegistry({
      notifications: { url: `http://127.0.0.1:${port}/events`, token: 't0ken' },
    });
    try {
      const pushed = await pushTestImage(registry, { repository: 'team/hooked', tag: 'v7' });
      const found = await until(() => {
        for (const { body } of bodies) {
          const push = parseNotificationEnvelope(body).pushes.find((p) => p.tag === 'v7');
          if (push) return push;
        }
        return undefined;
      }, 15_000);
      expect(found).toMatchObject({
        repository: 'team/hooked',
        tag: 'v7',
        digest: pushed.digest,
        mediaType: MANIFEST,
        registryHost: registry.host,
      });
      expect(found.id.length).toBeGreaterThan(0);
      expect(bodies.every((b) => b.type?.startsWith(NOTIFICATION_MEDIA_TYPE))).toBe(true);
      // The blob uploads of the same push came as events too, and none of them became a push event.
      const all = bodies.flatMap((b) => (JSON.parse(b.body) as { events: unknown[] }).events);
      const pushes = bodies.flatMap((b) => parseNotificationEnvelope(b.body).pushes);
      expect(all.length).toBeGreaterThan(pushes.length);
      expect(pushes.every((p) => p.mediaType === MANIFEST)).toBe(true);
    } finally {
      await registry.stop();
      hook.closeAllConnections();
      await new Promise((done) => hook.close(done));
    }
  });

  it('refuses what is not an envelope, and too many events', () => {
    for (const body of ['', 'nope', '[]', '{}', '{"events": {}}', '{"events": [{"id": 1}]}', 'null']) {
      expect(() => parseNotificationEnvelope(body), body).toThrow(
        expect.objectContaining({ code: 'deploy_bad_request' }),
      );
    }
    const many = JSON.stringify({ events: Array.from({ length: 101 }, () => event()) });
    expect(() => parseNotificationEnvelope(many)).toThrow(/101 events/);
    expect(
      parseNotificationEnvelope(JSON.stringify({ events: Array.from({ length: 100 }, () => event()) }))
        .pushes,
    ).toHaveLength(100);
  });

  it('keeps manifest pushes only, and drops events with fields that are not valid', () => {
    const envelope = {
      events: [
        event(),
        event({ id: 'pull', action: 'pull' }),
        event({ id: 'blob' }, { mediaType: 'application/octet-stream' }),
        event({ id: 'layer' }, { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }),
        event({ id: 'baddigest' }, { digest: 'sha256:xyz' }),
        event({ id: 'badrepo' }, { repository: 'Team/../app' }),
        event({ id: 'badtag' }, { tag: 'v1;rm -rf' }),
        event({ id: 'badhost', request: { host: 'evil host/' } }),
        event({ id: 'untagged' }, { tag: undefined }),
        event(
          { id: 'urlhost', request: undefined },
          { url: 'https://registry.example.com/v2/team/app/manifests/x' },
        ),
      ],
    };
    const parsed = parseNotificationEnvelope(JSON.stringify(envelope));
    expect(parsed.pushes.map((p) => p.id)).toEqual(['e1', 'untagged', 'urlhost']);
    expect(parsed.ignored).toBe(7);
    expect(parsed.pushes[0]).toEqual({
      id: 'e1',
      timestamp: '2026-01-01T00:00:00Z',
      repository: 'team/app',
      tag: 'v1',
      digest: DIGEST,
      mediaType: MANIFEST,
      registryHost: '127.0.0.1:5000',
    });
    expect(parsed.pushes[1]?.tag).toBeUndefined();
    expect(parsed.pushes[2]?.registryHost).toBe('registry.example.com');
  });
});
