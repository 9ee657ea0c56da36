// Every accounts record read out of one store and written into another with its ids kept — what
// `homeport migrate to-kv` copies SQLite into JetStream KV with. Reads and writes go through the repository
// interfaces only, so one description serves both stores and two snapshots compare field by field.

import { pickFields, type SnapshotKind, sameJson } from '@homeport/core';
import { byBytes, mapLimit } from './kv-support.js';
import type {
  AccountsStore,
  ApiTokenRecord,
  LoginAttemptRecord,
  OidcIdentityRecord,
  OidcSessionRecord,
  SessionRecord,
  StoredAuthSettings,
  UserRecord,
} from './repositories.js';

export interface AccountsSnapshotOptions {
  /** The `updatedAt` written with the authentication settings (their reads do not return it). */
  now: () => string;
}

/** The JSON of a settings document with keys sorted at every level (stores may keep another key order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

/** Whether `a` and `b` differ only in the fields named. */
const differOnlyIn = <T extends object>(a: T, b: T, fields: readonly (keyof T)[]) =>
  sameJson(
    { ...a, ...Object.fromEntries(fields.map((field) => [field, null])) },
    {
      ...b,
      ...Object.fromEntries(fields.map((field) => [field, null])),
    },
  );

const sorted = <T>(records: T[], key: (record: T) => string) =>
  records.sort((a, b) => byBytes(key(a), key(b)));

const USER_FIELDS: readonly (keyof UserRecord)[] = [
  'id',
  'username',
  'passwordHash',
  'role',
  'status',
  'createdAt',
  'updatedAt',
  'sessionsNotBefore',
];
const SESSION_FIELDS: readonly (keyof SessionRecord)[] = [
  'id',
  'tokenHash',
  'userId',
  'createdAt',
  'expiresAt',
  'lastSeenAt',
  'ip',
  'userAgent',
];
const TOKEN_FIELDS: readonly (keyof ApiTokenRecord)[] = [
  'id',
  'tokenHash',
  'userId',
  'name',
  'prefix',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
];
const IDENTITY_FIELDS: readonly (keyof OidcIdentityRecord)[] = [
  'id',
  'userId',
  'issuer',
  'subject',
  'displayName',
  'email',
  'emailVerified',
  'groups',
  'createdAt',
  'lastLoginAt',
];
const OIDC_SESSION_FIELDS: readonly (keyof OidcSessionRecord)[] = ['sessionId', 'identityId', 'idToken'];
const ATTEMPT_FIELDS: readonly (keyof LoginAttemptRecord)[] = [
  'stateHash',
  'bindingHash',
  'codeVerifier',
  'nonce',
  'issuer',
  'intent',
  'userId',
  'returnTo',
  'expiresAt',
];

/**
 * The accounts records of `store`, kind by kind in the order a copy must write them (a session needs its
 * user, an OIDC session record its session and identity). Sessions are the live ones (expired and fenced
 * sessions read as absent in every store and are swept anyway); login attempts the ones still to be taken.
 * Users are never deleted in Homeport, so a user only the target has stays (a report shows it).
 *
 * @example
 *   for (const kind of accountsSnapshotKinds(store, { now: () => new Date().toISOString() }))
 *     console.log(kind.name, (await kind.read()).length);
 */
export function accountsSnapshotKinds(
  store: AccountsStore,
  options: AccountsSnapshotOptions,
): SnapshotKind<object>[] {
  const usersOf = async () => store.users.list();
  // Bounded fan-out: on KV each call is a round trip, and a store with thousands of users must not flood it.
  const sessionsOf = async () =>
    (await mapLimit(await usersOf(), (user) => store.sessions.listForUser(user.id))).flat();

  const users: SnapshotKind<UserRecord> = {
    name: 'users',
    key: (user) => user.id,
    secretFields: ['passwordHash'],
    read: async () =>
      sorted(
        (await usersOf()).map((user) => pickFields(user, USER_FIELDS)),
        (user) => user.id,
      ),
    create: (user) => store.users.create(user),
    async update(wanted) {
      // Username and creation time never change in Homeport, and a password hash is never taken away.
      const updated = await store.users.update(
        wanted.id,
        {
          role: wanted.role,
          status: wanted.status,
          ...(wanted.passwordHash === null ? {} : { passwordHash: wanted.passwordHash }),
          ...(wanted.sessionsNotBefore === undefined ? {} : { sessionsNotBefore: wanted.sessionsNotBefore }),
        },
        wanted.updatedAt,
      );
      return updated !== undefined && sameJson(pickFields(updated, USER_FIELDS), wanted);
    },
    remove: async () => false,
  };

  const sessions: SnapshotKind<SessionRecord> = {
    name: 'sessions',
    key: (session) => session.id,
    secretFields: ['tokenHash'],
    read: async () =>
      sorted(
        (await sessionsOf()).map((session) => pickFields(session, SESSION_FIELDS)),
        (session) => session.id,
      ),
    create: (session) => store.sessions.create(session),
    async update(wanted, current) {
      if (differOnlyIn(wanted, current, ['lastSeenAt'])) {
        await store.sessions.touch(wanted.id, wanted.lastSeenAt);
      } else {
        // Written again whole (its OIDC session record goes with it; that kind is copied after this one).
        await store.sessions.deleteById(current.id);
        await store.sessions.create(wanted);
      }
      return true;
    },
    async remove(current) {
      await store.sessions.deleteById(current.id);
      return true;
    },
  };

  const apiTokens: SnapshotKind<ApiTokenRecord> = {
    name: 'api tokens',
    key: (token) => token.id,
    secretFields: ['tokenHash'],
    async read() {
      const lists = await mapLimit(await usersOf(), (user) => store.tokens.listForUser(user.id));
      return sorted(
        lists.flat().map((token) => pickFields(token, TOKEN_FIELDS)),
        (token) => token.id,
      );
    },
    create: (token) => store.tokens.create(token),
    async update(wanted, current) {
      if (wanted.lastUsedAt !== null && differOnlyIn(wanted, current, ['lastUsedAt'])) {
        await store.tokens.touch(wanted.id, wanted.lastUsedAt);
      } else {
        await store.tokens.deleteForUser(current.userId, current.id);
        await store.tokens.create(wanted);
      }
      return true;
    },
    remove: (current) => store.tokens.deleteForUser(current.userId, current.id).then(() => true),
  };

  const claims: readonly (keyof OidcIdentityRecord)[] = [
    'displayName',
    'email',
    'emailVerified',
    'groups',
    'lastLoginAt',
  ];
  const identities: SnapshotKind<OidcIdentityRecord> = {
    name: 'oidc identities',
    key: (identity) => identity.id,
    secretFields: [],
    read: async () =>
      sorted(
        (await store.identities.list()).map((identity) => pickFields(identity, IDENTITY_FIELDS)),
        (identity) => identity.id,
      ),
    create: (identity) => store.identities.create(identity),
    async update(wanted, current) {
      if (wanted.lastLoginAt !== null && differOnlyIn(wanted, current, claims)) {
        const { displayName, email, emailVerified, groups } = wanted;
        await store.identities.recordLogin(
          wanted.id,
          { displayName, email, emailVerified, groups },
          wanted.lastLoginAt,
        );
      } else {
        // Its OIDC session records go with it; that kind is copied after this one.
        await store.identities.delete(current.id);
        await store.identities.create(wanted);
      }
      return true;
    },
    remove: (current) => store.identities.delete(current.id).then(() => true),
  };

  /** A record cannot change alone: its session is written again, then the record as wanted (if any). */
  const rewriteSession = async (sessionId: string, record?: OidcSessionRecord) => {
    const session = await store.sessions.byId(sessionId);
    if (session === undefined) return false;
    await store.sessions.deleteById(sessionId);
    await store.sessions.create(session);
    if (record) await store.oidcSessions.create(record);
    return true;
  };
  const oidcSessions: SnapshotKind<OidcSessionRecord> = {
    name: 'oidc sessions',
    key: (record) => record.sessionId,
    secretFields: ['idToken'],
    async read() {
      const records = await mapLimit(await sessionsOf(), (session) =>
        store.oidcSessions.bySessionId(session.id),
      );
      return sorted(
        records
          .filter((record) => record !== undefined)
          .map((record) => pickFields(record, OIDC_SESSION_FIELDS)),
        (record) => record.sessionId,
      );
    },
    create: (record) => store.oidcSessions.create(record),
    update: (wanted) => rewriteSession(wanted.sessionId, wanted),
    remove: (current) => rewriteSession(current.sessionId),
  };

  const loginAttempts: SnapshotKind<LoginAttemptRecord> = {
    name: 'login attempts',
    key: (attempt) => attempt.stateHash,
    secretFields: ['bindingHash', 'codeVerifier', 'nonce'],
    read: async () =>
      (await store.loginAttempts.list()).map((attempt) => pickFields(attempt, ATTEMPT_FIELDS)),
    create: (attempt) => store.loginAttempts.create(attempt),
    // An attempt never changes: one with the same state hash and other fields is not Homeport's doing.
    update: async () => false,
    remove: (current) => store.loginAttempts.take(current.stateHash).then(() => true),
  };

  const authSettings: SnapshotKind<{ settings: StoredAuthSettings }> = {
    name: 'auth settings',
    key: () => 'auth',
    secretFields: ['settings.oidc.clientSecretSealed'],
    async read() {
      const settings = await store.authSettings.read();
      return settings === undefined ? [] : [{ settings: canonical(settings) as StoredAuthSettings }];
    },
    create: (wanted) => store.authSettings.write(wanted.settings, options.now()),
    async update(wanted) {
      await store.authSettings.write(wanted.settings, options.now());
      return true;
    },
    // There is no "never saved" to go back to; saved settings only differ from none by what they say.
    remove: async () => false,
  };

  return [users, sessions, apiTokens, identities, oidcSessions, loginAttempts, authSettings];
}

/** Every accounts record of `store`, per kind (see accountsSnapshotKinds). */
export async function snapshotAccounts(
  store: AccountsStore,
  options: AccountsSnapshotOptions,
): Promise<Record<string, object[]>> {
  const snapshot: Record<string, object[]> = {};
  for (const kind of accountsSnapshotKinds(store, options)) snapshot[kind.name] = await kind.read();
  return snapshot;
}
