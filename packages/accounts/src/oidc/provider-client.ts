// The OpenID provider as openid-client sees it: discovery (cached), and the client authentication the provider
// supports.

import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { UsableOidc } from './auth-settings.js';
import { isLoopbackHttpIssuer } from './setting-rules.js';

export interface ProviderClientOptions {
  clock: () => number;
  /** Seconds each request to the provider may take. */
  timeoutSeconds?: number;
  /** How long discovery results are reused; after it, the next sign-in reads them again (key rotation). */
  cacheMs?: number;
}

export interface ProviderClient {
  /** The configuration for these settings; throws what openid-client throws (network, bad metadata). */
  configuration(oidc: UsableOidc, clientSecret: string | undefined): Promise<client.Configuration>;
  /**
   * The issuer exactly as the provider's discovery document names it. A discovery URL does not show whether
   * the issuer ends in a slash (Authentik's do), so when discovery fails as given, the other form is tried.
   */
  canonicalIssuer(oidc: UsableOidc, clientSecret: string | undefined): Promise<string>;
}

interface CacheEntry {
  key: string;
  at: number;
  pending: Promise<client.Configuration>;
}

export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const timeout = options.timeoutSeconds ?? 10;
  const cacheMs = options.cacheMs ?? 3_600_000;
  // One entry: there is one provider at a time, and a settings change makes a new key.
  let cache: CacheEntry | undefined;

  const discover = async (oidc: UsableOidc, secret: string | undefined): Promise<client.Configuration> => {
    // openid-client refuses plain http; it is allowed only for loopback issuers (local providers, tests),
    // which setting-rules.ts already limits http issuers to.
    const insecure = isLoopbackHttpIssuer(oidc.issuer);
    const discovered = await client.discovery(new URL(oidc.issuer), oidc.clientId, undefined, undefined, {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout,
    });
    const metadata = discovered.serverMetadata();
    // client_secret_basic is the spec's default and what providers register clients with unless told
    // otherwise; openid-client's own default is client_secret_post, which some providers refuse.
    const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    const auth =
      secret === undefined
        ? client.None()
        : methods.includes('client_secret_basic')
          ? client.ClientSecretBasic(secret)
          : client.ClientSecretPost(secret);
    const configuration = new client.Configuration(metadata, oidc.clientId, undefined, auth);
    if (insecure) client.allowInsecureRequests(configuration);
    configuration.timeout = timeout;
    return configuration;
  };

  const configuration = (oidc: UsableOidc, secret: string | undefined): Promise<client.Configuration> => {
    const key = createHash('sha256')
      .update(JSON.stringify([oidc.issuer, oidc.clientId, secret ?? null]))
      .digest('hex');
    const now = options.clock();
    if (cache && cache.key === key && now - cache.at < cacheMs) return cache.pending;
    const pending = discover(oidc, secret);
    const entry: CacheEntry = { key, at: now, pending };
    cache = entry;
    // A failed discovery is not remembered: the next sign-in tries again.
    pending.catch(() => {
      if (cache === entry) cache = undefined;
    });
    return pending;
  };

  return {
    configuration,
    async canonicalIssuer(oidc, secret) {
      try {
        return (await configuration(oidc, secret)).serverMetadata().issuer;
      } catch (error) {
        const other = oidc.issuer.endsWith('/') ? oidc.issuer.slice(0, -1) : `${oidc.issuer}/`;
        try {
          return (await configuration({ ...oidc, issuer: other }, secret)).serverMetadata().issuer;
        } catch {
          // The other form fails too: report the failure of the form the admin typed.
          throw error;
        }
      }
    },
  };
}
