// Who may sign in through OIDC (allowed groups or email domains) and what a new account is called, read
// from the provider's claims. Pure functions: the callback and the admin-lockout check share them.

import { USERNAME_MAX_LENGTH, USERNAME_PATTERN } from '../rules.js';
import type { IdentityClaimsSnapshot } from '../store/repositories.js';
import type { Checked } from './setting-rules.js';

export type Claims = Readonly<Record<string, unknown>>;

/** A claim by exact name first (Auth0-style `https://…/groups`), else as a dotted path (`realm_access.roles`). */
export function readClaim(claims: Claims, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let node: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part]; // a JSON object from the provider's claims
  }
  return node;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The part of the claims Homeport keeps about an identity and decides access with. */
export function snapshotOf(
  claims: Claims,
  names: { usernameClaim: string; groupsClaim: string },
): IdentityClaimsSnapshot {
  const groups = groupsFrom(readClaim(claims, names.groupsClaim));
  const email = text(claims.email);
  const verified = claims.email_verified;
  return {
    displayName: text(readClaim(claims, names.usernameClaim)) ?? email,
    email,
    emailVerified: typeof verified === 'boolean' ? verified : null,
    groups,
  };
}

/**
 * A list of names, one name, or an object whose keys are the names (Zitadel's role claim maps each role to
 * the organisations that granted it).
 */
function groupsFrom(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null) return Object.keys(value);
  return [];
}

export interface AccessRules {
  allowedGroups: readonly string[];
  allowedEmailDomains: readonly string[];
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * No groups and no domains configured: everyone the provider signs in is allowed. Otherwise one matching
 * group, or an email in an allowed domain that the provider does not mark unverified (a person who can type
 * any address at the provider must not get in by typing ours).
 */
export function decideAccess(snapshot: IdentityClaimsSnapshot, rules: AccessRules): AccessDecision {
  if (rules.allowedGroups.length === 0 && rules.allowedEmailDomains.length === 0) return { allowed: true };
  if (snapshot.groups.some((group) => rules.allowedGroups.includes(group))) return { allowed: true };
  const domain = snapshot.email?.split('@').pop()?.toLowerCase();
  if (domain !== undefined && snapshot.emailVerified !== false && rules.allowedEmailDomains.includes(domain))
    return { allowed: true };
  const wanted = [
    rules.allowedGroups.length > 0 ? `a member of ${listOf(rules.allowedGroups)}` : undefined,
    rules.allowedEmailDomains.length > 0
      ? `someone with a verified email address at ${listOf(rules.allowedEmailDomains)}`
      : undefined,
  ].filter((part) => part !== undefined);
  return { allowed: false, reason: `This Homeport only lets in ${wanted.join(' or ')}.` };
}

function listOf(items: readonly string[]): string {
  const quoted = items.slice(0, 5).map((item) => `"${item}"`);
  if (items.length > 5) quoted.push(`${items.length - 5} more`);
  return quoted.length === 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/**
 * The username of a new account from the configured claim: characters Homeport does not allow in usernames
 * become `-` (`alice@example.com` → `alice-example-com`, `José` → `Jose`), cut to 64.
 */
export function usernameFromClaims(claims: Claims, claimName: string): Checked<string> {
  const raw = text(readClaim(claims, claimName));
  if (raw === null) return { problem: `The provider did not send the "${claimName}" claim.` };
  const cleaned = raw
    .normalize('NFKD')
    // Accents come apart into a letter and a combining mark; dropping the mark keeps the letter (é → e).
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, USERNAME_MAX_LENGTH);
  if (!USERNAME_PATTERN.test(cleaned))
    return { problem: `The "${claimName}" claim (${JSON.stringify(raw)}) does not make a usable username.` };
  return { value: cleaned };
}
