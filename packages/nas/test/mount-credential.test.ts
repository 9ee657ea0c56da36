// Mount credentials: what the agent accepts and refuses, and the size Finder allows.

import { describe, expect, it } from 'vitest';
import {
  MAX_PASSWORD_BYTES,
  type MountClaims,
  nodeDavKey,
  signMountCredential,
  verifyMountCredential,
} from '../src/index.js';

const key = nodeDavKey('a-long-control-plane-secret', 'node_abcdefghijkl');
const now = 1_800_000_000;
const claims: MountClaims = {
  v: 1,
  nodeId: 'node_abcdefghijkl',
  mountPath: '/dav/photos/',
  username: 'mount-abcdefghijkl',
  readonly: false,
  admin: false,
  expiresAt: now + 60,
};
const expected = { nodeId: 'node_abcdefghijkl', nowSeconds: now };

describe('mount credentials', () => {
  it('round-trips and stays under Finder’s limit even with the longest mount path', () => {
    const password = signMountCredential(claims, key);
    expect(verifyMountCredential(claims.username, password, key, expected)).toEqual({ ok: true, claims });
    const longest = signMountCredential({ ...claims, mountPath: `/${'m'.repeat(30)}/` }, key);
    expect(Buffer.byteLength(longest)).toBeLessThan(MAX_PASSWORD_BYTES);
  });

  it.each([
    [
      'a flipped payload byte',
      (p: string) => `${p.slice(0, 5)}${p[5] === 'A' ? 'B' : 'A'}${p.slice(6)}`,
      'bad_signature',
    ],
    [
      'a flipped tag byte',
      (p: string) => `${p.slice(0, -3)}${p.at(-3) === 'A' ? 'B' : 'A'}${p.slice(-2)}`,
      'bad_signature',
    ],
    ['no dot', (p: string) => p.replace('.', ''), 'malformed'],
    ['an empty tag', (p: string) => `${p.split('.')[0]}.`, 'bad_signature'],
  ])('refuses %s', (_name, forge, reason) => {
    const password = forge(signMountCredential(claims, key));
    expect(verifyMountCredential(claims.username, password, key, expected)).toMatchObject({
      ok: false,
      reason,
    });
  });

  it('refuses a non-canonical spelling of the tag (spare base64 bits)', () => {
    const password = signMountCredential(claims, key);
    const variants = ['A', 'B', 'C', 'D']
      .map((c) => `${password.slice(0, -1)}${c}`)
      .filter((p) => p !== password);
    const accepted = variants.filter((p) => verifyMountCredential(claims.username, p, key, expected).ok);
    expect(accepted).toEqual([]);
  });

  it('refuses expiry, another user, another node, another key', () => {
    const password = signMountCredential(claims, key);
    expect(
      verifyMountCredential(claims.username, password, key, { ...expected, nowSeconds: now + 60 }),
    ).toMatchObject({ reason: 'expired' });
    expect(verifyMountCredential('mount-other', password, key, expected)).toMatchObject({
      reason: 'wrong_user',
    });
    expect(
      verifyMountCredential(claims.username, password, key, { ...expected, nodeId: 'node_other' }),
    ).toMatchObject({ reason: 'wrong_node' });
    expect(
      verifyMountCredential(
        claims.username,
        password,
        nodeDavKey('a-long-control-plane-secret', 'node_other'),
        expected,
      ),
    ).toMatchObject({ reason: 'bad_signature' });
  });
});
