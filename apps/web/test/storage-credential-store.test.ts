// The tab's store of issued mount credentials: reused per export and mode while valid, per user, and
// dropped once revoked or near expiry.
import { describe, expect, it } from 'vitest';
import type { MountProfile } from '../src/api/types';
import { createMountCredentialStore, REUSE_MARGIN_MS } from '../src/pages/storage/mount-credential-store';

const now = Date.parse('2030-01-01T00:00:00Z');
const profile = (username: string, exportId: string, readonly: boolean, expiresInMs = 86_400_000) =>
  ({
    id: 'mnt_1',
    exportId,
    protocol: 'webdav',
    displayName: 'x',
    mountUrl: 'http://nas/dav/x/',
    readonly,
    credential: {
      mode: 'basic-auth',
      username,
      password: 'secret',
      expiresAt: new Date(now + expiresInMs).toISOString(),
    },
  }) satisfies MountProfile;

describe('mount credential store', () => {
  it('keeps one credential per export and mode, for its user only', () => {
    const store = createMountCredentialStore();
    store.remember('u1', profile('mount-rw', 'e1', false));
    store.remember('u1', profile('mount-ro', 'e1', true));
    expect(store.find('u1', 'e1', false, now)?.credential.username).toBe('mount-rw');
    expect(store.find('u1', 'e1', true, now)?.credential.username).toBe('mount-ro');
    expect(store.find('u1', 'e2', false, now)).toBeUndefined();
    // Another account on this tab: nothing of the first one's, and the first one's are gone from memory.
    expect(store.find('u2', 'e1', false, now)).toBeUndefined();
    expect(store.find('u1', 'e1', false, now)).toBeUndefined();
  });

  it('does not hand out a credential that is about to expire', () => {
    const store = createMountCredentialStore();
    store.remember('u1', profile('mount-old', 'e1', false, REUSE_MARGIN_MS - 1));
    expect(store.find('u1', 'e1', false, now)).toBeUndefined();
  });

  it('forgets revoked credentials, by id or by what the server still lists', () => {
    const store = createMountCredentialStore();
    store.remember('u1', profile('mount-a', 'e1', false));
    store.remember('u1', profile('mount-b', 'e2', false));
    store.forget('mount-a');
    expect(store.find('u1', 'e1', false, now)).toBeUndefined();
    store.retain('u1', new Set(['mount-zzz']));
    expect(store.find('u1', 'e2', false, now)).toBeUndefined();
  });
});
