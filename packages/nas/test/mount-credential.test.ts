// Mount credentials: what the agent accepts and refuses, and the size Finder allows.

import { describe, expect, it } from 'vitest';
import {
  MAX_ID_LENGTH,
  MAX_PASSWORD_BYTES,
  type MountClaims,
  nodeDavKey,
  signMountCredential,
  verifyMountCredential,
} from '../src/index.js';

const SECRET = 'a-long-control-plane-secret';
const key = nodeDavKey(SECRET, 'node_abcdefghijkl', 3);
const now = 1_800_000_000;
const claims: MountClaims = {
  v: 2,
  keyId: 3,
  nodeId: 'node_abcdefghijkl',
  exportId: 'exp_abcdefghijkl',
  username: 'mount-abcdefghijkl',
  readonly: false,
  admin: false,
  issuedAt: now - 10,
  expiresAt: now + 60,
};
const expected = {
  nodeId: 'node_abcdefghijkl',
  nowSeconds: now,
  maxTtlSeconds: 86_400,
  keyFor: (keyId: number) => (keyId === 3 ? key : undefined),
};

describe('mount credentials', () => {
  it('round-trips and stays under Finder’s limit with the largest ids and times', () => {
    const password = signMountCredential(claims, key);
    expect(verifyMountCredential(claims.username, password, expected)).toEqual({ ok: true, claims });
    const largest = signMountCredential(
      {
        ...claims,
        keyId: 2 ** 40,
        nodeId: `node_${'n'.repeat(12)}`,
        exportId: `exp_${'e'.repeat(12)}`,
        readonly: true,
        admin: true,
        issuedAt: 99_999_999_999,
        expiresAt: 99_999_999_999,
      },
      key,
    );
    expect(Buffer.byteLength(largest)).toBeLessThan(MAX_PASSWORD_BYTES);
  });

  it('stays under Finder’s limit with ids imported from betterNAS at their longest, whatever the mount path', () => {
    // The mount path is not in the claims; imported node and export ids are capped at MAX_ID_LENGTH.
    const worst = signMountCredential(
      {
        ...claims,
        keyId: 2 ** 31 - 1,
        nodeId: 'n'.repeat(MAX_ID_LENGTH),
        exportId: 'e'.repeat(MAX_ID_LENGTH),
        readonly: true,
        admin: true,
        issuedAt: 9_999_999_999, // the year 2286
        expiresAt: 9_999_999_999,
      },
      key,
    );
    expect(Buffer.byteLength(worst)).toBeLessThanOrEqual(MAX_PASSWORD_BYTES);
  });

  it.each([
    [
      'a flipped payload byte',
      (p: string) => `${p.slice(0, 5)}${p[5] === 'A' ? 'B' : 'A'}${p.slice(6)}`,
      ['bad_signature', 'malformed'],
    ],
    [
      'a flipped tag byte',
      (p: string) => `${p.slice(0, -3)}${p.at(-3) === 'A' ? 'B' : 'A'}${p.slice(-2)}`,
      ['bad_signature'],
    ],
    ['no dot', (p: string) => p.replace('.', ''), ['malformed']],
    ['an empty tag', (p: string) => `${p.split('.')[0]}.`, ['bad_signature']],
  ])('refuses %s', (_name, forge, reasons) => {
    const password = forge(signMountCredential(claims, key));
    const result = verifyMountCredential(claims.username, password, expected);
    expect(result.ok).toBe(false);
    expect(reasons).toContain(!result.ok && result.reason);
  });

  it('refuses a non-canonical spelling of the tag (spare base64 bits)', () => {
    const password = signMountCredential(claims, key);
    const variants = ['A', 'B', 'C', 'D']
      .map((c) => `${password.slice(0, -1)}${c}`)
      .filter((p) => p !== password);
    const accepted = variants.filter((p) => verifyMountCredential(claims.username, p, expected).ok);
    expect(accepted).toEqual([]);
  });

  it('refuses expiry, another user, another node, another node’s key, another generation', () => {
    const password = signMountCredential(claims, key);
    expect(
      verifyMountCredential(claims.username, password, { ...expected, nowSeconds: now + 60 }),
    ).toMatchObject({ reason: 'expired' });
    expect(verifyMountCredential('mount-other', password, expected)).toMatchObject({ reason: 'wrong_user' });
    expect(
      verifyMountCredential(claims.username, password, { ...expected, nodeId: 'node_other' }),
    ).toMatchObject({ reason: 'wrong_node' });
    const otherNode = nodeDavKey(SECRET, 'node_other', 3);
    expect(
      verifyMountCredential(claims.username, password, { ...expected, keyFor: () => otherNode }),
    ).toMatchObject({ reason: 'bad_signature' });
    // A rotated-away generation is simply not offered by the agent any more.
    expect(
      verifyMountCredential(claims.username, password, { ...expected, keyFor: () => undefined }),
    ).toMatchObject({ reason: 'unknown_key', keyId: 3 });
    expect(nodeDavKey(SECRET, 'node_abcdefghijkl', 4).equals(key)).toBe(false);
  });

  it('refuses lifetimes the control plane never issues, even when signed with the right key', () => {
    const forever = signMountCredential({ ...claims, expiresAt: now + 10 * 365 * 86_400 }, key);
    expect(verifyMountCredential(claims.username, forever, expected)).toMatchObject({ reason: 'too_long' });
    const future = signMountCredential({ ...claims, issuedAt: now + 3600, expiresAt: now + 7200 }, key);
    expect(verifyMountCredential(claims.username, future, expected)).toMatchObject({
      reason: 'not_yet_valid',
    });
  });
});
