// Sign-in through an OpenID provider: authorization code + PKCE (S256) + state + nonce, kept server-side as a
// single-use login attempt bound to the browser; the callback links or creates the account and opens a
// normal Homeport session. Also builds the provider's end-session URL for logout.

import { randomBytes } from 'node:crypto';
import type { Logger } from '@homeport/core';
import * as client from 'openid-client';
import { AccountsError } from '../errors.js';
import type { Mutex } from '../gate.js';
import { hashToken, newId, secretsEqual } from '../secrets.js';
import type { AccountsService, IssuedSession } from '../service.js';
import type { AccountsStore, OidcIdentityRecord, UserRecord } from '../store/repositories.js';
import { type Claims, decideAccess, snapshotOf, usernameFromClaims } from './access-policy.js';
import { type AuthSettingsManager, type UsableOidc, usableOidc } from './auth-settings.js';
import type { ProviderClient } from './provider-client.js';
import type { SecretBox } from './secret-box.js';

export interface OidcFlowOptions {
  store: AccountsStore;
  service: AccountsService;
  authSettings: AuthSettingsManager;
  provider: ProviderClient;
  box: SecretBox;
  mutex: Mutex;
  log: Logger;
  clock: () => number;
  /** How long a person may spend at the provider before the attempt expires (default 10 minutes). */
  attemptTtlMs?: number;
}

export type OidcOutcome =
  | { kind: 'session'; issued: IssuedSession; returnTo: string | null }
  | { kind: 'linked'; user: UserRecord; returnTo: string | null };

const ID_TOKEN_PURPOSE = 'oidc.idToken';

/** Only a path on this site: `/x`, not `//evil.example` or `/\\evil.example` (open redirects). */
export function safeReturnTo(value: string | undefined): string | null {
  if (value === undefined || value.length > 512) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  return /^[\x21-\x7e]+$/.test(value) ? value : null;
}

export type OidcFlow = ReturnType<typeof createOidcFlow>;

export function createOidcFlow(options: OidcFlowOptions) {
  const { store, service, authSettings, provider, box, log, clock } = options;
  const attemptTtlMs = options.attemptTtlMs ?? 600_000;
  const nowIso = () => new Date(clock()).toISOString();

  const requireOidc = async (): Promise<UsableOidc> => {
    const settings = await authSettings.current();
    const oidc = usableOidc(settings);
    if (!oidc) throw new AccountsError('oidc_disabled', 'Sign-in with OIDC is not turned on');
    return oidc;
  };

  const configurationFor = async (oidc: UsableOidc): Promise<client.Configuration> => {
    const secret = await authSettings.clientSecret();
    try {
      return await provider.configuration(oidc, secret);
    } catch (error) {
      log.warn({ issuer: oidc.issuer, reason: reasonOf(error) }, 'OIDC discovery failed');
      throw new AccountsError('oidc_unavailable', `${oidc.displayName} cannot be reached`, {
        cause: error,
      });
    }
  };

  const stateInvalid = (why: string) => new AccountsError('oidc_state_invalid', why);

  /** Finds the account for a provider identity, or creates it when the settings allow. */
  const accountFor = async (
    oidc: UsableOidc,
    claims: Claims,
    issuer: string,
    subject: string,
  ): Promise<{ user: UserRecord; identity: OidcIdentityRecord }> =>
    options.mutex.lock(async () => {
      const snapshot = snapshotOf(claims, oidc);
      const linked = await store.identities.byIssuerSubject(issuer, subject);
      if (linked) {
        const user = await store.users.byId(linked.userId);
        if (!user) throw new AccountsError('user_not_found', 'The linked account no longer exists');
        await store.identities.recordLogin(linked.id, snapshot, nowIso());
        return { user, identity: linked };
      }
      if (oidc.unknownUsers === 'refuse') {
        throw new AccountsError(
          'oidc_not_linked',
          `No Homeport account is linked to this ${oidc.displayName} account`,
        );
      }
      const username = usernameFromClaims(claims, oidc.usernameClaim);
      if ('problem' in username) throw new AccountsError('oidc_claim_missing', username.problem);
      let user: UserRecord;
      try {
        user = await service.createExternalUser({ username: username.value, role: 'member' });
      } catch (error) {
        if (error instanceof AccountsError && error.code === 'username_taken') {
          // Never link by name: anyone who can choose a name at the provider would take over the account.
          throw new AccountsError(
            'oidc_username_taken',
            `An account named "${username.value}" already exists`,
            { cause: error },
          );
        }
        throw error;
      }
      const identity = newIdentity(user.id, issuer, subject, snapshot);
      await store.identities.create(identity);
      return { user, identity };
    });

  const linkTo = async (userId: string, oidc: UsableOidc, claims: Claims, issuer: string, subject: string) =>
    options.mutex.lock(async () => {
      const user = await store.users.byId(userId);
      if (user?.status !== 'active') throw new AccountsError('unauthorized', 'Sign in first');
      const snapshot = snapshotOf(claims, oidc);
      const linked = await store.identities.byIssuerSubject(issuer, subject);
      if (linked && linked.userId !== user.id) {
        throw new AccountsError(
          'oidc_identity_in_use',
          `This ${oidc.displayName} account is already linked to another Homeport user`,
        );
      }
      if (linked) await store.identities.recordLogin(linked.id, snapshot, nowIso());
      else await store.identities.create(newIdentity(user.id, issuer, subject, snapshot));
      await service.announceUserChanged(user);
      return user;
    });

  const newIdentity = (
    userId: string,
    issuer: string,
    subject: string,
    snapshot: ReturnType<typeof snapshotOf>,
  ): OidcIdentityRecord => ({
    id: newId('idn'),
    userId,
    issuer,
    subject,
    ...snapshot,
    createdAt: nowIso(),
    lastLoginAt: nowIso(),
  });

  return {
    /**
     * Starts a sign-in (or, for a signed-in user, linking): stores the attempt and returns the provider URL to
     * redirect to, and the browser-binding value to set as a cookie. The value is always new: adopting one the
     * browser sent would let someone who can plant a cookie (a sibling subdomain, a plain-HTTP page) know the
     * binding of the victim's next sign-in and finish it with their own account (login CSRF). The cost: of
     * two tabs signing in at once, only the one started last completes.
     */
    async begin(input: {
      intent: 'login' | 'link';
      userId?: string;
      returnTo?: string | undefined;
      redirectUri: string;
    }): Promise<{ url: string; binding: string }> {
      const oidc = await requireOidc();
      const configuration = await configurationFor(oidc);
      const binding = randomBytes(32).toString('base64url');
      const state = client.randomState();
      const nonce = client.randomNonce();
      const codeVerifier = client.randomPKCECodeVerifier();
      await store.loginAttempts.create({
        stateHash: hashToken(state),
        bindingHash: hashToken(binding),
        codeVerifier,
        nonce,
        issuer: oidc.issuer,
        intent: input.intent,
        userId: input.userId ?? null,
        returnTo: safeReturnTo(input.returnTo),
        expiresAt: clock() + attemptTtlMs,
      });
      const url = client.buildAuthorizationUrl(configuration, {
        redirect_uri: input.redirectUri,
        scope: oidc.scopes.join(' '),
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, binding };
    },

    /** Handles the provider's redirect back. Every failure is an AccountsError whose code the login page explains. */
    async complete(input: {
      query: URLSearchParams;
      binding: string | undefined;
      redirectUri: string;
      ip: string;
      userAgent: string | null;
    }): Promise<OidcOutcome> {
      const oidc = await requireOidc();
      const state = input.query.get('state');
      if (!state) throw stateInvalid('The answer from the provider has no state');
      // Taken (deleted) before any other check: whatever happens next, this state cannot be used again.
      const attempt = await store.loginAttempts.take(hashToken(state));
      if (!attempt) throw stateInvalid('This sign-in was already completed, or was never started here');
      if (attempt.expiresAt <= clock()) throw stateInvalid('This sign-in took too long');
      if (input.binding === undefined || !secretsEqual(hashToken(input.binding), attempt.bindingHash))
        throw stateInvalid('This sign-in was started in another browser');
      if (attempt.issuer !== oidc.issuer)
        throw stateInvalid('The provider settings changed during this sign-in');

      const providerError = input.query.get('error');
      if (providerError !== null) {
        const description = (input.query.get('error_description') ?? '').slice(0, 200);
        log.info({ error: providerError.slice(0, 64), description }, 'OIDC provider refused the sign-in');
        throw new AccountsError(
          'oidc_denied',
          `${oidc.displayName} did not sign you in (${providerError.slice(0, 64)})`,
        );
      }

      const configuration = await configurationFor(oidc);
      const currentUrl = new URL(input.redirectUri);
      currentUrl.search = input.query.toString();
      let claims: Claims;
      let idToken: string | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
          pkceCodeVerifier: attempt.codeVerifier,
          expectedState: state,
          expectedNonce: attempt.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new Error('no ID token');
        idToken = tokens.id_token;
        // Providers put groups and email in the ID token, the userinfo response, or both.
        const userinfo = configuration.serverMetadata().userinfo_endpoint
          ? await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub)
          : {};
        claims = { ...userinfo, ...idClaims };
      } catch (error) {
        log.warn({ issuer: oidc.issuer, reason: reasonOf(error) }, 'OIDC code exchange failed');
        throw new AccountsError(
          'oidc_provider_error',
          `The answer from ${oidc.displayName} could not be verified`,
          { cause: error },
        );
      }
      const issuer = String(claims.iss);
      const subject = String(claims.sub);

      const access = decideAccess(snapshotOf(claims, oidc), oidc);
      if (!access.allowed) {
        log.info({ issuer, subject }, 'OIDC sign-in refused by allowed groups/domains');
        throw new AccountsError('oidc_not_allowed', access.reason);
      }

      if (attempt.intent === 'link' && attempt.userId !== null) {
        const user = await linkTo(attempt.userId, oidc, claims, issuer, subject);
        log.info({ userId: user.id, issuer }, 'OIDC identity linked');
        return { kind: 'linked', user, returnTo: attempt.returnTo };
      }

      const { user, identity } = await accountFor(oidc, claims, issuer, subject);
      if (user.status !== 'active') throw new AccountsError('user_disabled', 'This account is disabled');
      const issued = await service.issueSession(user, { ip: input.ip, userAgent: input.userAgent });
      await store.oidcSessions.create({
        sessionId: issued.session.id,
        identityId: identity.id,
        idToken: idToken === undefined ? null : box.seal(idToken, ID_TOKEN_PURPOSE),
      });
      log.info({ userId: user.id, issuer }, 'OIDC login');
      return { kind: 'session', issued, returnTo: attempt.returnTo };
    },

    /**
     * Where to send the browser after logout so the provider ends its session too, when this session came
     * from the provider and the provider has an end-session endpoint. Call before ending the session.
     */
    async endSessionUrl(sessionId: string, postLogoutRedirectUri: string): Promise<string | undefined> {
      const record = await store.oidcSessions.bySessionId(sessionId);
      if (!record) return undefined;
      const oidc = usableOidc(await authSettings.current());
      const identity = await store.identities.byId(record.identityId);
      if (!oidc || identity?.issuer !== oidc.issuer) return undefined;
      let configuration: client.Configuration;
      try {
        configuration = await provider.configuration(oidc, await authSettings.clientSecret());
      } catch (error) {
        // Logging out of Homeport must not depend on the provider being up.
        log.warn({ issuer: oidc.issuer, reason: reasonOf(error) }, 'OIDC discovery failed at logout');
        return undefined;
      }
      if (!configuration.serverMetadata().end_session_endpoint) return undefined;
      let idToken: string | undefined;
      try {
        idToken = record.idToken === null ? undefined : box.open(record.idToken, ID_TOKEN_PURPOSE);
      } catch (error) {
        // A changed key makes the hint unreadable; the provider then asks the person to confirm instead.
        log.warn(
          { reason: reasonOf(error) },
          'stored ID token unreadable; logging out without id_token_hint',
        );
      }
      return client.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(idToken === undefined ? {} : { id_token_hint: idToken }),
      }).href;
    },
  };
}

/**
 * A short, secret-free description of a failure for the log: class, code, message, the OAuth `error` the
 * provider answered with, and the underlying check that failed (openid-client wraps oauth4webapi's error,
 * whose message names the claim, e.g. `unexpected ID Token "nonce" claim value`). Claim values are left out.
 */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 200);
  // openid-client and oauth4webapi errors carry these optional fields; read them without trusting their types.
  const fields = error as { code?: unknown; error?: unknown; cause?: unknown };
  const parts = [error.name];
  if (typeof fields.code === 'string') parts.push(fields.code);
  parts.push(error.message);
  if (typeof fields.error === 'string') parts.push(`(provider: ${fields.error})`);
  if (fields.cause instanceof Error) parts.push(`(${fields.cause.message})`);
  return parts.join(' ').slice(0, 300);
}
