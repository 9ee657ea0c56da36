// The accounts repositories on JetStream KV (HOMEPORT_STORE=kv), through core's KV port. What SQLite gave
// for free — UNIQUE, ON DELETE CASCADE, DELETE … RETURNING, ORDER BY, COUNT(*) — is built here from `create`
// (create-only), `update`/`delete` at a revision (compare-and-set) and prefix listings; repositories.ts
// states the resulting contract and test/store-contract.ts holds this store and SQLite's to it.
//
// Key layout. Bucket `accounts_records` (every variable part is keyToken(text): base64url, one token):
//
//   user.id.<id>                          UserRecord (or `{abandoned}`: see claims)
//   user.name.<lower-cased username>      {owner: userId}            claim: case-insensitive uniqueness
//   session.hash.<tokenHash>              SessionRecord              the per-request lookup: one read by key
//   session.id.<id>                       {tokenHash, userId, createdAt, expiresAt}   byId, deletes, sweep
//   session.user.<userId>.<id>.<hash>     {}                         a user's sessions, from the keys alone
//   token.hash.<tokenHash>                ApiTokenRecord             the per-request lookup
//   token.id.<id>                         {tokenHash, userId}
//   token.user.<userId>.<id>.<hash>       {}
//   identity.id.<id>                      OidcIdentityRecord (or `{abandoned}`)
//   identity.subject.<issuer>.<subject>   {owner: identityId}        claim: one link per provider account
//   identity.user.<userId>.<id>           {}
//   oidc_session.session.<sessionId>      OidcSessionRecord
//   oidc_session.identity.<identityId>.<sessionId>   {}             sessions to end when unlinking
//   settings.auth                         {settings, updatedAt}
//
// Bucket `accounts_login_attempts` (max age one day, a backstop for the sweep):
//
//   attempt.<stateHash>                   LoginAttemptRecord
//   taken.<stateHash>                     {}                         single use: the one whose create wins
//
// Writes that span keys go index-first and record-last; deletes go record-first and index-last. A crash in
// between leaves index entries that point at nothing: reads skip them, and the next delete or the sweep
// removes them. Claims (uniqueness) are created before the record; a claim whose holder's record is missing
// is taken over only after that record key is marked `{abandoned}` with a create, so the stalled create can
// never land afterwards (kv-support.ts `claim`). Sessions and login attempts expire by their own
// `expiresAt`, checked on every read against `clock`, and are deleted by the sweeps (`deleteExpired`);
// nats-server 2.9 has no per-key TTL. Calls that fail raise StoreError('store_unavailable') unchanged.
//
// On a replicated bucket (R3), writes at a revision (`update`, `delete` with a revision, `create` over a
// deleted key) are compare-and-set only on nats-server 2.9.21 and later: before that, two such writes in
// flight at once can both be applied (nats-server#4320). Concurrent user updates, touch-versus-delete and
// claim takeovers then lose their guarantee; `create` of a key never written is safe on every version,
// which is why single use of a login attempt rests on one (`taken.<stateHash>`).

import type { KvStore } from '@homeport/core';
import { createKvIdentityRepository } from './kv-identity-store.js';
import { BUCKETS, LOGIN_ATTEMPTS_MAX_AGE_MS } from './kv-keys.js';
import {
  createKvAuthSettingsRepository,
  createKvLoginAttemptRepository,
  createKvOidcSessionRepository,
  dropOidcSession,
  dropOidcSessionsOf,
} from './kv-oidc-store.js';
import { createKvSessionRepository } from './kv-session-store.js';
import { createKvTokenRepository } from './kv-token-store.js';
import { createKvUserRepository } from './kv-user-store.js';
import type { AccountsStore, AccountsStoreOptions } from './repositories.js';

/**
 * The accounts repositories on a module's KV store; opens (creating when missing) its two buckets.
 * `clock` is what lookups compare expiry against: pass the service's.
 *
 * @example
 *   const kv = createJetStreamKv({ kvm: new Kvm(nc), module: 'accounts', replicas: 3 });
 *   const store = await createKvAccountsStore(kv, { clock });
 */
export async function createKvAccountsStore(
  kv: KvStore,
  options: AccountsStoreOptions = {},
): Promise<AccountsStore> {
  const clock = options.clock ?? Date.now;
  const [bucket, attempts] = await Promise.all([
    kv.bucket(BUCKETS.records),
    kv.bucket(BUCKETS.loginAttempts, { maxAgeMs: LOGIN_ATTEMPTS_MAX_AGE_MS }),
  ]);
  const users = createKvUserRepository(bucket);
  const sessions = createKvSessionRepository({
    bucket,
    clock,
    user: (id) => users.byId(id),
    dropOidcSession: (sessionId) => dropOidcSession(bucket, sessionId),
  });
  return {
    users,
    sessions,
    tokens: createKvTokenRepository(bucket),
    identities: createKvIdentityRepository({
      bucket,
      dropOidcSessionsOf: (identityId) => dropOidcSessionsOf(bucket, identityId),
    }),
    loginAttempts: createKvLoginAttemptRepository(attempts, clock),
    oidcSessions: createKvOidcSessionRepository({ bucket, sessionStored: (id) => sessions.stored(id) }),
    authSettings: createKvAuthSettingsRepository(bucket),
  };
}
