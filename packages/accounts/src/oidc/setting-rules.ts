// Checks and normal forms of the authentication settings, shared by the env/config-file parsers and by
// PUT /api/v1/auth/settings so both sources accept exactly the same values.

import { isLoopbackAddress } from '@homeport/core';

/** A value in its normal form, or a sentence saying what is wrong with it. */
export type Checked<T> = { value: T } | { problem: string };

const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/**
 * The issuer identifier: an https URL (plain http only on a loopback host, for local providers and tests).
 * A pasted discovery URL is cut back to the issuer. A trailing slash is kept, because discovery compares
 * the issuer byte for byte and Authentik's issuers end in one.
 */
export function checkIssuer(raw: string): Checked<string> {
  let text = raw.trim();
  if (text.endsWith(DISCOVERY_SUFFIX)) text = text.slice(0, -DISCOVERY_SUFFIX.length);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `must be the provider's issuer URL, like https://sso.example.com/realms/home` };
  }
  if (url.search !== '' || url.hash !== '') return { problem: 'must not have a query or fragment' };
  if (url.protocol === 'https:') return { value: text };
  if (url.protocol === 'http:' && isLoopbackAddress(url.hostname)) return { value: text };
  return {
    problem: 'must be an https:// URL (plain http:// is accepted only for a provider on this machine)',
  };
}

/** Whether openid-client must be told to allow plain HTTP for this (already checked) issuer. */
export function isLoopbackHttpIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && isLoopbackAddress(url.hostname);
}

const CLAIM_NAME = /^[\x21-\x7e]{1,200}$/;

/** A claim name (`preferred_username`), a dotted path (`realm_access.roles`) or a namespaced URL claim. */
export function checkClaimName(raw: string): Checked<string> {
  const text = raw.trim();
  return CLAIM_NAME.test(text)
    ? { value: text }
    : { problem: 'must be a claim name like preferred_username (no spaces)' };
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;

/** Scopes to request; `openid` is always requested, first. */
export function checkScopes(raw: readonly string[]): Checked<string[]> {
  const scopes = raw.flatMap((item) => item.split(/\s+/)).filter((item) => item !== '');
  const bad = scopes.find((scope) => !SCOPE.test(scope));
  if (bad !== undefined) return { problem: `has an invalid scope ${JSON.stringify(bad)}` };
  return { value: ['openid', ...new Set(scopes.filter((scope) => scope !== 'openid'))] };
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/** Email domains, lower-cased, without a leading `@`. */
export function checkEmailDomains(raw: readonly string[]): Checked<string[]> {
  const domains = raw
    .map((item) => item.trim().toLowerCase().replace(/^@/, ''))
    .filter((item) => item !== '');
  const bad = domains.find((domain) => !DOMAIN.test(domain));
  if (bad !== undefined) return { problem: `has an invalid domain ${JSON.stringify(bad)}` };
  return { value: [...new Set(domains)] };
}

/** Group names as the provider sends them (case matters: providers compare them exactly too). */
export function checkGroups(raw: readonly string[]): Checked<string[]> {
  const groups = raw.map((item) => item.trim()).filter((item) => item !== '');
  const bad = groups.find((group) => group.length > 200);
  if (bad !== undefined) return { problem: 'has a group name longer than 200 characters' };
  return { value: [...new Set(groups)] };
}
