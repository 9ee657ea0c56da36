// Mount credentials: what the agent accepts and refuses, and the size Finder allows.

import { createHmac } from 'node:crypto';
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

describe('scoped credentials (share links)', () => {
  const scoped: MountClaims = {
    ...claims,
    username: 'share-abcdefghijkl',
    readonly: true,
    scope: { path: '/Photos/2026 trip/ä.jpg', mode: 'view' },
  };
  const wire = (password: string) =>
    JSON.parse(Buffer.from(password.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  const resign = (fields: Record<string, unknown>) => {
    const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
    return `${payload}.${createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url')}`;
  };

  it('round-trips a view and a drop scope, written as version 3 so an older agent refuses them', () => {
    for (const mode of ['view', 'drop'] as const) {
      const item = { ...scoped, scope: { path: scoped.scope?.path ?? '/', mode } };
      const password = signMountCredential(item, key, { basicPassword: false });
      expect(wire(password)).toMatchObject({ v: 3, p: item.scope.path, m: mode === 'view' ? 'v' : 'd' });
      expect(verifyMountCredential(item.username, password, expected)).toEqual({ ok: true, claims: item });
    }
    // An unscoped one stays version 2, byte for byte what agents before scopes verify.
    expect(wire(signMountCredential(claims, key)).v).toBe(2);
  });

  it('allows a long path only when it is not a Basic password, and never past the bound', () => {
    const deep = { ...scoped, scope: { path: `/${'d/'.repeat(200)}f`, mode: 'view' as const } };
    expect(() => signMountCredential(deep, key)).toThrow(/Finder/);
    const password = signMountCredential(deep, key, { basicPassword: false });
    expect(verifyMountCredential(deep.username, password, expected).ok).toBe(true);
    const tooDeep = { ...scoped, scope: { path: `/${'x'.repeat(1100)}`, mode: 'view' as const } };
    expect(() => signMountCredential(tooDeep, key, { basicPassword: false })).toThrow(/scope path/);
  });

  it('refuses to sign a read-write scoped credential or a path that is not canonical', () => {
    expect(() =>
      signMountCredential({ ...scoped, readonly: false }, key, { basicPassword: false }),
    ).toThrow();
    for (const path of ['', 'a', '/a/', '//a', '/a//b', '/.', '/a/..', '/a/../b', '/a\\b', '/a\0b'])
      expect(() =>
        signMountCredential({ ...scoped, scope: { path, mode: 'view' } }, key, { basicPassword: false }),
      ).toThrow();
  });

  it('refuses signed claims that mix the versions or bend the scope', () => {
    const base = wire(signMountCredential(scoped, key, { basicPassword: false }));
    const cases: Record<string, unknown>[] = [
      { ...base, v: 2 }, // a scope on a version-2 credential: an older agent would ignore it
      { ...base, p: undefined },
      { ...base, m: 'w' },
      { ...base, r: 0 },
      { ...base, p: '/a/../..' },
      { ...base, p: 'relative' },
      { ...wire(signMountCredential(claims, key)), v: 3 },
    ];
    for (const fields of cases)
      expect(verifyMountCredential(String(fields.u), resign(fields), expected)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    expect(verifyMountCredential(scoped.username, resign(base), expected).ok).toBe(true);
  });
});
