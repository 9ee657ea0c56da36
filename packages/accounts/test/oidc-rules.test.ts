// The pure rules behind OIDC sign-in: reading claims in the shapes providers send them, who is let in, what a
// new account is called, which issuer URLs are accepted, and the sealed-secret format.

import { describe, expect, it } from 'vitest';
import { decideAccess, readClaim, snapshotOf, usernameFromClaims } from '../src/oidc/access-policy.js';
import { createSecretBox } from '../src/oidc/secret-box.js';
import { checkEmailDomains, checkIssuer, checkScopes } from '../src/oidc/setting-rules.js';

const names = { usernameClaim: 'preferred_username', groupsClaim: 'groups' };

describe('claims', () => {
  it('reads an exact claim name before a dotted path, so namespaced URL claims work', () => {
    const claims = { 'https://example.com/groups': ['a'], realm_access: { roles: ['staff'] } };
    expect(readClaim(claims, 'https://example.com/groups')).toEqual(['a']);
    expect(readClaim(claims, 'realm_access.roles')).toEqual(['staff']);
    expect(readClaim(claims, 'realm_access.missing.deeper')).toBeUndefined();
  });

  it('takes groups as a list, a single name, or the keys of an object (Zitadel roles)', () => {
    const groupsOf = (groups: unknown) => snapshotOf({ groups }, names).groups;
    expect(groupsOf(['a', 3, 'b'])).toEqual(['a', 'b']);
    expect(groupsOf('solo')).toEqual(['solo']);
    expect(groupsOf({ admin: { 1: 'org' }, staff: {} })).toEqual(['admin', 'staff']);
    expect(groupsOf(undefined)).toEqual([]);
  });

  it('keeps email_verified only when it is a boolean', () => {
    expect(snapshotOf({ email: 'a@x.io', email_verified: 'true' }, names).emailVerified).toBeNull();
    expect(snapshotOf({ email: 'a@x.io', email_verified: false }, names).emailVerified).toBe(false);
  });
});

describe('who is let in', () => {
  const person = (groups: string[], email: string | null, emailVerified: boolean | null = true) => ({
    displayName: null,
    email,
    emailVerified,
    groups,
  });

  it('lets everyone in when no group and no domain is configured', () => {
    expect(decideAccess(person([], null), { allowedGroups: [], allowedEmailDomains: [] })).toEqual({
      allowed: true,
    });
  });

  it('needs one allowed group, or a not-unverified email in an allowed domain (exact domain)', () => {
    const rules = { allowedGroups: ['staff'], allowedEmailDomains: ['example.com'] };
    expect(decideAccess(person(['staff'], null), rules).allowed).toBe(true);
    expect(decideAccess(person([], 'Ann@EXAMPLE.com'), rules).allowed).toBe(true);
    expect(decideAccess(person([], 'ann@example.com', null), rules).allowed).toBe(true);
    expect(decideAccess(person([], 'ann@example.com', false), rules).allowed).toBe(false);
    expect(decideAccess(person([], 'ann@mail.example.com'), rules).allowed).toBe(false);
    expect(decideAccess(person(['Staff'], null), rules).allowed).toBe(false);
  });

  it('says in words who is allowed', () => {
    const decision = decideAccess(person([], null), {
      allowedGroups: ['a', 'b'],
      allowedEmailDomains: ['x.io'],
    });
    expect(decision).toEqual({
      allowed: false,
      reason:
        'This Homeport only lets in a member of "a" or "b" or someone with a verified email address at "x.io".',
    });
  });
});

describe('usernames from claims', () => {
  it('turns characters usernames do not allow into dashes', () => {
    expect(usernameFromClaims({ preferred_username: 'alice@example.com' }, 'preferred_username')).toEqual({
      value: 'alice-example-com',
    });
    expect(usernameFromClaims({ preferred_username: 'José Núñez' }, 'preferred_username')).toEqual({
      value: 'Jose-Nunez',
    });
  });

  it('refuses a missing claim or one that leaves no usable name', () => {
    expect(usernameFromClaims({}, 'preferred_username')).toHaveProperty('problem');
    expect(usernameFromClaims({ preferred_username: '日本' }, 'preferred_username')).toHaveProperty(
      'problem',
    );
  });
});

describe('settings rules', () => {
  it('accepts https issuers, loopback http, and cuts a discovery URL back to its issuer', () => {
    expect(checkIssuer('https://sso.example.com/realms/home')).toEqual({
      value: 'https://sso.example.com/realms/home',
    });
    expect(checkIssuer('http://127.0.0.1:9000')).toEqual({ value: 'http://127.0.0.1:9000' });
    expect(checkIssuer('http://localhost:9000/')).toEqual({ value: 'http://localhost:9000/' });
    expect(checkIssuer('https://a.example/application/o/x/.well-known/openid-configuration')).toEqual({
      value: 'https://a.example/application/o/x',
    });
    for (const bad of ['http://sso.example.com', 'ftp://x', 'https://x.example/?q=1', 'nope']) {
      expect(checkIssuer(bad), bad).toHaveProperty('problem');
    }
  });

  it('always requests openid first, once', () => {
    expect(checkScopes(['profile', 'openid', 'email groups'])).toEqual({
      value: ['openid', 'profile', 'email', 'groups'],
    });
  });

  it('lower-cases email domains and drops a leading @', () => {
    expect(checkEmailDomains(['@Example.COM', ' example.com '])).toEqual({ value: ['example.com'] });
  });
});

describe('secret box', () => {
  it('opens what it sealed, only for the same purpose and key, and refuses a tampered value', () => {
    const box = createSecretBox(() => 'm'.repeat(32));
    const sealed = box.seal('client-secret', 'oidc.clientSecret');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('client-secret');
    expect(box.open(sealed, 'oidc.clientSecret')).toBe('client-secret');
    expect(() => box.open(sealed, 'oidc.idToken')).toThrow();
    expect(() => createSecretBox(() => 'n'.repeat(32)).open(sealed, 'oidc.clientSecret')).toThrow();
    // A character in the middle: the last ones of base64url may carry padding bits that decode the same.
    const middle = sealed.length - 10;
    const tampered = `${sealed.slice(0, middle)}${sealed[middle] === 'A' ? 'B' : 'A'}${sealed.slice(middle + 1)}`;
    expect(() => box.open(tampered, 'oidc.clientSecret')).toThrow();
    expect(box.seal('same', 'p')).not.toBe(box.seal('same', 'p'));
  });
});
