// Registry authentication: Basic, and the Bearer token flow (401 with `WWW-Authenticate: Bearer realm,
// service, scope` → GET realm with the Basic credentials → token, cached until it expires). Credentials
// never leave for a realm that is not https or loopback, and never go to a registry over plain HTTP unless
// it is loopback or listed as insecure (the caller decided the scheme).

import { isLoopbackAddress } from '@homeport/core';
import { DeployError } from '../errors.js';
import type { Challenge } from './challenge.js';
import {
  type BoundedAnswer,
  boundedRequest,
  type HttpLimits,
  type RegistryAuth,
  registryErrorText,
} from './http.js';

export type { RegistryAuth } from './http.js';

export interface TokenCache {
  get(key: string, now: number): string | undefined;
  set(key: string, token: string, expiresAt: number): void;
}

const MAX_TOKENS = 256;

/** Tokens per realm, service, scope and user; the oldest dropped past 256 (a poller has few repositories). */
export function createTokenCache(): TokenCache {
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  return {
    get: (key, now) => {
      const entry = tokens.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt > now) return entry.token;
      tokens.delete(key);
      return undefined;
    },
    set: (key, token, expiresAt) => {
      tokens.delete(key);
      tokens.set(key, { token, expiresAt });
      if (tokens.size > MAX_TOKENS) tokens.delete(tokens.keys().next().value as string); // size > 0 here
    },
  };
}

export function basicHeader(auth: RegistryAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

const onLoopback = (hostname: string) => isLoopbackAddress(hostname.replace(/^\[|\]$/g, ''));

/**
 * https, or http on loopback — and a realm on this machine only for a registry on this machine: a remote
 * (or compromised) registry naming `http://127.0.0.1:…` would otherwise make Homeport send the project's
 * credentials to whatever local service listens there (a request forgery into loopback).
 */
function realmAllowed(realm: URL, registryHost: string): boolean {
  const realmLocal = onLoopback(realm.hostname);
  if (realmLocal && !onLoopback(new URL(`http://${registryHost}`).hostname)) return false;
  if (realm.protocol === 'https:') return true;
  return realm.protocol === 'http:' && realmLocal;
}

/**
 * A token for a Bearer challenge. `scope` defaults to pull on the repository (a registry that omits it
 * still needs one). Expiry: `expires_in` (default 60 s, the spec's) minus 10 s of slack.
 */
export async function bearerToken(
  limits: HttpLimits,
  cache: TokenCache,
  challenge: Challenge,
  fallbackScope: string,
  auth: RegistryAuth | undefined,
  now: () => number,
  /** `host[:port]` of the registry that sent the challenge. */
  registryHost: string,
): Promise<string> {
  const realmText = challenge.params.realm ?? '';
  let realm: URL;
  try {
    realm = new URL(realmText);
  } catch {
    throw new DeployError(
      'registry_unavailable',
      `registry sent a bearer challenge without a usable realm: ${realmText.slice(0, 200)}`,
    );
  }
  if (!realmAllowed(realm, registryHost) || realm.username !== '' || realm.password !== '') {
    throw new DeployError(
      'registry_unavailable',
      `refusing to send registry credentials to token realm ${realm.origin}: it must be https (or http on loopback), and on loopback only for a registry on loopback`,
    );
  }
  const service = challenge.params.service;
  const scope = challenge.params.scope ?? fallbackScope;
  if (service !== undefined) realm.searchParams.set('service', service);
  realm.searchParams.set('scope', scope);
  const key = `${realm.href}|${auth?.username ?? ''}`;
  const cached = cache.get(key, now());
  if (cached !== undefined) return cached;

  const answer: BoundedAnswer = await boundedRequest(limits, realm.href, {
    method: 'GET',
    headers: auth === undefined ? {} : { authorization: basicHeader(auth) },
  });
  if (answer.status === 401 || answer.status === 403) {
    throw new DeployError(
      'registry_unavailable',
      `registry token service refused the credentials (${answer.status})`,
    );
  }
  if (answer.status !== 200) {
    throw new DeployError(
      'registry_unavailable',
      `registry token service answered ${registryErrorText(answer, auth)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}; // fields checked one by one
  const token = typeof record.token === 'string' ? record.token : record.access_token;
  if (typeof token !== 'string' || token === '' || token.length > 16_384) {
    throw new DeployError('registry_unavailable', 'registry token service answered without a token');
  }
  const expiresIn =
    typeof record.expires_in === 'number' && record.expires_in > 0 ? Math.min(record.expires_in, 86_400) : 60;
  cache.set(key, token, now() + Math.max(expiresIn - 10, 1) * 1000);
  return token;
}
