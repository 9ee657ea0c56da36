// The contract of the accounts repositories (src/store/repositories.ts), run against every implementation:
// store-sqlite.test.ts, store-kv.test.ts (one nats-server) and store-kv-cluster.test.ts (three, R3). The
// expectations are the same for all, so a store that drifts from the others fails here.

import { randomBytes } from 'node:crypto';
import { StoreError } from '@homeport/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountsError } from '../src/errors.js';
import type {
  AccountsStore,
  ApiTokenRecord,
  LoginAttemptRecord,
  OidcIdentityRecord,
  SessionRecord,
  UserRecord,
} from '../src/store/repositories.js';

export interface StoreUnderTest {
  store: AccountsStore;
  close(): Promise<void>;
}

/** Builds an empty store reading the time from `clock`. */
export type AccountsStoreFactory = (options: { clock: () => number }) => Promise<StoreUnderTest>;

export interface ContractOptions {
  /**
   * Set when the backend cannot serialise concurrent compare-and-set writes at one revision (nats-server
   * before 2.9.21 on a replicated stream): the tests that race such writes cannot hold, so in their place one
   * test checks that Homeport refuses to run on such a store (`refusal`: what it says at start).
   */
  unserialisedCas?: { reason: string; refusal: string | undefined };
}

const START = Date.parse('2030-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

/** Registers the contract's describe blocks for one implementation. */
export function describeAccountsStore(
  name: string,
  factory: AccountsStoreFactory,
  options: ContractOptions = {},
): void {
  /** For the tests that race compare-and-set writes at one revision. */
  const unserialised = options.unserialisedCas;
  const racing = unserialised === undefined ? it : () => undefined;
  if (unserialised !== undefined) {
    describe(`${name}: concurrent writers`, () => {
      it(`are not held here (${unserialised.reason}), so Homeport refuses to run on this store`, () => {
        expect(unserialised.refusal).toMatch(/nats-server#4320/);
      });
    });
  }
  let now = START;
  let open: StoreUnderTest;
  let store: AccountsStore;
  let serial = 0;
  const iso = (ms = now) => new Date(ms).toISOString();
  const unique = (prefix: string) => {
    serial += 1;
    return `${prefix}_${serial}_${randomBytes(4).toString('hex')}`;
  };

  beforeEach(async () => {
    now = START;
    open = await factory({ clock: () => now });
    store = open.store;
  });
  afterEach(async () => {
    await open.close();
  });

  const newUser = (fields: Partial<UserRecord> = {}): UserRecord => ({
    id: unique('usr'),
    username: unique('user'),
    passwordHash: '$argon2id$stub',
    role: 'member',
    status: 'active',
    createdAt: iso(),
    updatedAt: iso(),
    ...fields,
  });
  const addUser = async (fields: Partial<UserRecord> = {}) => {
    const user = newUser(fields);
    await store.users.create(user);
    return user;
  };
  const newSession = (userId: string, fields: Partial<SessionRecord> = {}): SessionRecord => ({
    id: unique('ses'),
    tokenHash: randomBytes(32).toString('hex'),
    userId,
    createdAt: iso(),
    expiresAt: now + HOUR,
    lastSeenAt: iso(),
    ip: '127.0.0.1',
    userAgent: 'vitest',
    ...fields,
  });
  const addSession = async (userId: string, fields: Partial<SessionRecord> = {}) => {
    const session = newSession(userId, fields);
    await store.sessions.create(session);
    return session;
  };
  const newToken = (userId: string, fields: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
    id: unique('tok'),
    tokenHash: randomBytes(32).toString('hex'),
    userId,
    name: 'ci',
    prefix: 'hp_abcdefg',
    createdAt: iso(),
    lastUsedAt: null,
    expiresAt: now + 24 * HOUR,
    ...fields,
  });
  const newIdentity = (userId: string, fields: Partial<OidcIdentityRecord> = {}): OidcIdentityRecord => ({
    id: unique('idn'),
    userId,
    issuer: 'https://idp.example/realms/home',
    subject: unique('sub'),
    displayName: 'Ann',
    email: 'ann@example.com',
    emailVerified: true,
    groups: ['staff'],
    createdAt: iso(),
    lastLoginAt: iso(),
    ...fields,
  });
  const newAttempt = (fields: Partial<LoginAttemptRecord> = {}): LoginAttemptRecord => ({
    stateHash: randomBytes(32).toString('hex'),
    bindingHash: randomBytes(32).toString('hex'),
    codeVerifier: 'verifier',
    nonce: 'nonce',
    issuer: 'https://idp.example/realms/home',
    intent: 'login',
    userId: null,
    returnTo: '/nas',
    expiresAt: now + 600_000,
    ...fields,
  });

  /** The error `work` rejected with, checked to be of `kind` with `code`. */
  const rejection = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      return error;
    }
    throw new Error('expected a rejection');
  };
  const expectAccountsError = async (work: Promise<unknown>, code: string) => {
    const error = await rejection(work);
    expect(error).toBeInstanceOf(AccountsError);
    expect((error as AccountsError).code).toBe(code);
  };
  const expectConflict = async (work: Promise<unknown>) => {
    const error = await rejection(work);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('store_conflict');
  };
  const ids = (records: readonly { id: string }[]) => records.map((record) => record.id);

  describe(`${name}: users`, () => {
    it('finds a created user by id and by name in any letter case', async () => {
      const user = await addUser({ username: 'Ann', role: 'admin' });
      expect(await store.users.byId(user.id)).toEqual(user);
      expect(await store.users.byUsername('ann')).toEqual(user);
      expect(await store.users.byUsername('ANN')).toEqual(user);
      expect(await store.users.byId('usr_missing')).toBeUndefined();
      expect(await store.users.byUsername('nobody')).toBeUndefined();
    });

    it('refuses a name taken in another letter case with username_taken, keeping the first', async () => {
      const first = await addUser({ username: 'alice' });
      await expectAccountsError(store.users.create(newUser({ username: 'ALICE' })), 'username_taken');
      expect(await store.users.byUsername('Alice')).toEqual(first);
      expect(await store.users.list()).toHaveLength(1);
    });

    it('lets exactly one of two concurrent creates of Alice and alice win', async () => {
      for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
        const upper = newUser({ username: name.toUpperCase() });
        const lower = newUser({ username: name });
        const outcomes = await Promise.allSettled([store.users.create(upper), store.users.create(lower)]);
        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const lost = outcomes.find((outcome) => outcome.status === 'rejected');
        expect(lost?.reason).toBeInstanceOf(AccountsError);
        expect(lost?.reason).toMatchObject({ code: 'username_taken' });
        const winner = outcomes[0]?.status === 'fulfilled' ? upper : lower;
        expect(await store.users.byUsername(name)).toEqual(winner);
      }
      expect(await store.users.list()).toHaveLength(5);
    });

    // Four contenders take the claim over from each other with updates at a revision.
    racing('lets exactly one of four concurrent creates of one name win', async () => {
      const contenders = ['Frank', 'frank', 'FRANK', 'fRaNk'].map((username) => newUser({ username }));
      const outcomes = await Promise.allSettled(contenders.map((user) => store.users.create(user)));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect((await store.users.list()).map((user) => user.username.toLowerCase())).toEqual(['frank']);
    });

    it('refuses an id in use with store_conflict and leaves the refused name free', async () => {
      const first = await addUser({ username: 'ann' });
      await expectConflict(store.users.create(newUser({ id: first.id, username: 'bob' })));
      expect(await store.users.byId(first.id)).toEqual(first);
      expect(await store.users.byUsername('bob')).toBeUndefined();
      const bob = await addUser({ username: 'bob' });
      expect(await store.users.byUsername('BOB')).toEqual(bob);
    });

    it('lists users by lower-cased name in byte order', async () => {
      for (const username of ['carol', 'Bob', 'alice', '_admin', 'Zed', '😀smile', 'ｚenkaku']) {
        await addUser({ username });
      }
      expect((await store.users.list()).map((user) => user.username)).toEqual([
        '_admin',
        'alice',
        'Bob',
        'carol',
        'Zed',
        'ｚenkaku',
        '😀smile',
      ]);
    });

    it('updates only the fields given, sets updatedAt, and returns the record written', async () => {
      const user = await addUser({ username: 'ann' });
      const updated = await store.users.update(user.id, { role: 'admin' }, iso(START + 5000));
      expect(updated).toEqual({ ...user, role: 'admin', updatedAt: iso(START + 5000) });
      expect(await store.users.byId(user.id)).toEqual(updated);
      const again = await store.users.update(
        user.id,
        { passwordHash: 'h2', status: 'disabled' },
        iso(START + 6000),
      );
      expect(again).toEqual({
        ...user,
        role: 'admin',
        passwordHash: 'h2',
        status: 'disabled',
        updatedAt: iso(START + 6000),
      });
    });

    it('returns undefined when updating a user that does not exist, and creates nothing', async () => {
      expect(await store.users.update('usr_missing', { role: 'admin' }, iso())).toBeUndefined();
      expect(await store.users.byId('usr_missing')).toBeUndefined();
      expect(await store.users.list()).toEqual([]);
    });

    racing('loses no field when different fields of one user are updated concurrently', async () => {
      const users = await Promise.all([1, 2, 3, 4, 5].map(() => addUser()));
      await Promise.all(
        users.flatMap((user) => [
          store.users.update(user.id, { role: 'admin' }, iso()),
          store.users.update(user.id, { status: 'disabled' }, iso()),
          store.users.update(user.id, { passwordHash: `new-${user.id}` }, iso()),
          store.users.update(user.id, { sessionsNotBefore: START + 42 }, iso()),
        ]),
      );
      for (const user of users) {
        expect(await store.users.byId(user.id)).toMatchObject({
          role: 'admin',
          status: 'disabled',
          passwordHash: `new-${user.id}`,
          sessionsNotBefore: START + 42,
        });
      }
    });

    it('counts active admins only', async () => {
      expect(await store.users.countActiveAdmins()).toBe(0);
      const ann = await addUser({ role: 'admin' });
      await addUser({ role: 'admin', status: 'disabled' });
      await addUser({ role: 'member' });
      const bob = await addUser({ role: 'admin' });
      expect(await store.users.countActiveAdmins()).toBe(2);
      await store.users.update(ann.id, { status: 'disabled' }, iso());
      await store.users.update(bob.id, { role: 'member' }, iso());
      expect(await store.users.countActiveAdmins()).toBe(0);
    });
  });

  describe(`${name}: sessionsNotBefore`, () => {
    it('ends every session of the user created before it, in one write', async () => {
      const ann = await addUser();
      const bob = await addUser();
      const old = await addSession(ann.id);
      const bobs = await addSession(bob.id);
      now += 1000;
      const recent = await addSession(ann.id);
      const updated = await store.users.update(ann.id, { sessionsNotBefore: now }, iso());
      expect(updated?.sessionsNotBefore).toBe(now);
      expect((await store.users.byId(ann.id))?.sessionsNotBefore).toBe(now);

      expect(await store.sessions.byTokenHash(old.tokenHash)).toBeUndefined();
      expect(await store.sessions.byId(old.id)).toBeUndefined();
      expect(await store.sessions.byTokenHash(recent.tokenHash)).toEqual(recent);
      expect(ids(await store.sessions.listForUser(ann.id))).toEqual([recent.id]);
      expect(await store.sessions.byTokenHash(bobs.tokenHash)).toEqual(bobs);

      now += 1000;
      const later = await addSession(ann.id);
      expect(await store.sessions.byTokenHash(later.tokenHash)).toEqual(later);
    });

    it('never moves back, and composes with other fields in the same update', async () => {
      const ann = await addUser();
      await store.users.update(ann.id, { status: 'disabled', sessionsNotBefore: START + 5000 }, iso());
      const lowered = await store.users.update(ann.id, { sessionsNotBefore: START + 1000 }, iso());
      expect(lowered).toMatchObject({ status: 'disabled', sessionsNotBefore: START + 5000 });
      expect(await store.users.update(ann.id, { role: 'admin' }, iso())).toMatchObject({
        sessionsNotBefore: START + 5000,
      });
    });

    it('is absent on a user that never set it, and kept when given at create', async () => {
      const plain = await addUser();
      expect(await store.users.byId(plain.id)).not.toHaveProperty('sessionsNotBefore');
      const fenced = await addUser({ sessionsNotBefore: START + 10 });
      expect((await store.users.byId(fenced.id))?.sessionsNotBefore).toBe(START + 10);
      const early = await addSession(fenced.id);
      expect(await store.sessions.byTokenHash(early.tokenHash)).toBeUndefined();
    });

    it('lets the sweep delete the sessions it ended', async () => {
      const ann = await addUser();
      const ended = await addSession(ann.id);
      now += 1000;
      const kept = await addSession(ann.id);
      await store.users.update(ann.id, { sessionsNotBefore: now }, iso());
      expect(await store.sessions.deleteExpired(now)).toBe(1);
      expect(await store.sessions.deleteForUser(ann.id, ended.id)).toBe(false);
      expect(await store.sessions.byId(kept.id)).toEqual(kept);
    });
  });

  describe(`${name}: sessions`, () => {
    it('finds a session by token hash and by id', async () => {
      const ann = await addUser();
      const session = await addSession(ann.id);
      expect(await store.sessions.byTokenHash(session.tokenHash)).toEqual(session);
      expect(await store.sessions.byId(session.id)).toEqual(session);
      expect(await store.sessions.byTokenHash('0'.repeat(64))).toBeUndefined();
      expect(await store.sessions.byId('ses_missing')).toBeUndefined();
    });

    it('refuses a token hash or an id in use with store_conflict, storing nothing of the refused one', async () => {
      const ann = await addUser();
      const first = await addSession(ann.id);
      const sameHash = newSession(ann.id, { tokenHash: first.tokenHash });
      await expectConflict(store.sessions.create(sameHash));
      expect(await store.sessions.byId(sameHash.id)).toBeUndefined();
      const sameId = newSession(ann.id, { id: first.id });
      await expectConflict(store.sessions.create(sameId));
      expect(await store.sessions.byTokenHash(sameId.tokenHash)).toBeUndefined();
      expect(await store.sessions.byTokenHash(first.tokenHash)).toEqual(first);
      expect(ids(await store.sessions.listForUser(ann.id))).toEqual([first.id]);
      // The refused id is free again.
      const retried = await addSession(ann.id, { id: sameHash.id });
      expect(await store.sessions.byId(sameHash.id)).toEqual(retried);
    });

    it("lists a user's sessions newest first, then by id descending, and no one else's", async () => {
      const ann = await addUser();
      const bob = await addSession((await addUser()).id);
      const first = await addSession(ann.id);
      now += 1000;
      const tiedA = await addSession(ann.id, { id: 'ses_tie_a' });
      const tiedB = await addSession(ann.id, { id: 'ses_tie_b' });
      now += 1000;
      const last = await addSession(ann.id);
      expect(ids(await store.sessions.listForUser(ann.id))).toEqual([last.id, tiedB.id, tiedA.id, first.id]);
      expect(ids(await store.sessions.listForUser(bob.userId))).toEqual([bob.id]);
      expect(await store.sessions.listForUser('usr_missing')).toEqual([]);
    });

    it('treats a session as absent from its expiry on, without a sweep', async () => {
      const ann = await addUser();
      const session = await addSession(ann.id, { expiresAt: now + 1000 });
      now += 999;
      expect(await store.sessions.byTokenHash(session.tokenHash)).toEqual(session);
      now += 1;
      expect(await store.sessions.byTokenHash(session.tokenHash)).toBeUndefined();
      expect(await store.sessions.byId(session.id)).toBeUndefined();
      expect(await store.sessions.listForUser(ann.id)).toEqual([]);
    });

    it('sweeps expired sessions only, and counts them', async () => {
      const ann = await addUser();
      await addSession(ann.id, { expiresAt: now + 1000 });
      await addSession(ann.id, { expiresAt: now + 2000 });
      const kept = await addSession(ann.id, { expiresAt: now + 3000 });
      expect(await store.sessions.deleteExpired(now + 2000)).toBe(2);
      expect(await store.sessions.deleteExpired(now + 2000)).toBe(0);
      expect(ids(await store.sessions.listForUser(ann.id))).toEqual([kept.id]);
    });

    it('deletes one session of its user only, and reports whether it did', async () => {
      const ann = await addUser();
      const bob = await addUser();
      const session = await addSession(ann.id);
      expect(await store.sessions.deleteForUser(bob.id, session.id)).toBe(false);
      expect(await store.sessions.deleteForUser(ann.id, 'ses_missing')).toBe(false);
      expect(await store.sessions.byId(session.id)).toEqual(session);
      expect(await store.sessions.deleteForUser(ann.id, session.id)).toBe(true);
      expect(await store.sessions.deleteForUser(ann.id, session.id)).toBe(false);
      expect(await store.sessions.byTokenHash(session.tokenHash)).toBeUndefined();
    });

    racing('reports a session deleted to exactly one of two concurrent deletes', async () => {
      const ann = await addUser();
      for (const session of await Promise.all([1, 2, 3].map(() => addSession(ann.id)))) {
        const results = await Promise.all([
          store.sessions.deleteForUser(ann.id, session.id),
          store.sessions.deleteForUser(ann.id, session.id),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.sessions.byTokenHash(session.tokenHash)).toBeUndefined();
      }
    });

    it('deletes by id, quietly when there is none', async () => {
      const ann = await addUser();
      const session = await addSession(ann.id);
      await store.sessions.deleteById(session.id);
      await store.sessions.deleteById(session.id);
      await store.sessions.deleteById('ses_missing');
      expect(await store.sessions.byTokenHash(session.tokenHash)).toBeUndefined();
      expect(await store.sessions.listForUser(ann.id)).toEqual([]);
    });

    it('deletes all of a user’s sessions but the one kept, and counts them', async () => {
      const ann = await addUser();
      const bob = await addUser();
      const kept = await addSession(ann.id);
      await addSession(ann.id);
      await addSession(ann.id, { expiresAt: now + 1 });
      const bobs = await addSession(bob.id);
      expect(await store.sessions.deleteAllForUser(ann.id, kept.id)).toBe(2);
      expect(ids(await store.sessions.listForUser(ann.id))).toEqual([kept.id]);
      expect(await store.sessions.deleteAllForUser(ann.id)).toBe(1);
      expect(await store.sessions.listForUser(ann.id)).toEqual([]);
      expect(await store.sessions.byId(bobs.id)).toEqual(bobs);
    });

    it('touches lastSeenAt, and never brings back a deleted session', async () => {
      const ann = await addUser();
      const session = await addSession(ann.id);
      await store.sessions.touch(session.id, iso(START + 60_000));
      expect((await store.sessions.byTokenHash(session.tokenHash))?.lastSeenAt).toBe(iso(START + 60_000));
      await store.sessions.deleteById(session.id);
      await store.sessions.touch(session.id, iso(START + 120_000));
      expect(await store.sessions.byTokenHash(session.tokenHash)).toBeUndefined();
      expect(await store.sessions.byId(session.id)).toBeUndefined();
      await store.sessions.touch('ses_missing', iso());
      expect(await store.sessions.byId('ses_missing')).toBeUndefined();
    });

    racing('never brings back a session deleted while being touched', async () => {
      const ann = await addUser();
      const sessions = await Promise.all([1, 2, 3, 4, 5, 6].map(() => addSession(ann.id)));
      await Promise.all(
        sessions.flatMap((session) => [
          store.sessions.touch(session.id, iso(START + 1)),
          store.sessions.deleteById(session.id),
          store.sessions.touch(session.id, iso(START + 2)),
        ]),
      );
      for (const session of sessions)
        expect(await store.sessions.byTokenHash(session.tokenHash)).toBeUndefined();
      expect(await store.sessions.listForUser(ann.id)).toEqual([]);
    });
  });

  describe(`${name}: cascades from sessions and identities`, () => {
    const withOidc = async () => {
      const ann = await addUser();
      const identity = newIdentity(ann.id);
      await store.identities.create(identity);
      const session = await addSession(ann.id);
      await store.oidcSessions.create({ sessionId: session.id, identityId: identity.id, idToken: 'sealed' });
      return { ann, identity, session };
    };
    const expectNoOidcRecord = async (sessionId: string, identityId: string) => {
      expect(await store.oidcSessions.bySessionId(sessionId)).toBeUndefined();
      expect(await store.oidcSessions.sessionIdsOf(identityId)).not.toContain(sessionId);
    };

    it('deleting a session by id deletes its OIDC session record', async () => {
      const { identity, session } = await withOidc();
      await store.sessions.deleteById(session.id);
      await expectNoOidcRecord(session.id, identity.id);
    });

    it('deleting a session of a user deletes its OIDC session record', async () => {
      const { ann, identity, session } = await withOidc();
      expect(await store.sessions.deleteForUser(ann.id, session.id)).toBe(true);
      await expectNoOidcRecord(session.id, identity.id);
    });

    it('deleting all sessions of a user deletes their OIDC session records', async () => {
      const { ann, identity, session } = await withOidc();
      expect(await store.sessions.deleteAllForUser(ann.id)).toBe(1);
      await expectNoOidcRecord(session.id, identity.id);
    });

    it('sweeping an expired session deletes its OIDC session record', async () => {
      const { identity, session } = await withOidc();
      expect(await store.sessions.deleteExpired(session.expiresAt)).toBe(1);
      await expectNoOidcRecord(session.id, identity.id);
    });

    it('deleting an identity deletes the OIDC session records opened through it, not the sessions', async () => {
      const { identity, session } = await withOidc();
      expect(await store.identities.delete(identity.id)).toBe(true);
      await expectNoOidcRecord(session.id, identity.id);
      expect(await store.sessions.byId(session.id)).toEqual(session);
    });
  });

  describe(`${name}: API tokens`, () => {
    it('finds a token by hash and by id, expired or not', async () => {
      const ann = await addUser();
      const token = newToken(ann.id, { expiresAt: now + 1000 });
      await store.tokens.create(token);
      const forever = newToken(ann.id, { expiresAt: null });
      await store.tokens.create(forever);
      now += 5000;
      expect(await store.tokens.byTokenHash(token.tokenHash)).toEqual(token);
      expect(await store.tokens.byId(token.id)).toEqual(token);
      expect(await store.tokens.byTokenHash(forever.tokenHash)).toEqual(forever);
      expect(await store.tokens.byTokenHash('0'.repeat(64))).toBeUndefined();
      expect(await store.tokens.byId('tok_missing')).toBeUndefined();
    });

    it('refuses a token hash or an id in use with store_conflict, storing nothing of the refused one', async () => {
      const ann = await addUser();
      const first = newToken(ann.id);
      await store.tokens.create(first);
      const sameHash = newToken(ann.id, { tokenHash: first.tokenHash });
      await expectConflict(store.tokens.create(sameHash));
      expect(await store.tokens.byId(sameHash.id)).toBeUndefined();
      const sameId = newToken(ann.id, { id: first.id });
      await expectConflict(store.tokens.create(sameId));
      expect(await store.tokens.byTokenHash(sameId.tokenHash)).toBeUndefined();
      expect(ids(await store.tokens.listForUser(ann.id))).toEqual([first.id]);
    });

    it("lists a user's tokens newest first, then by id descending", async () => {
      const ann = await addUser();
      const first = newToken(ann.id);
      await store.tokens.create(first);
      now += 1000;
      const tiedA = newToken(ann.id, { id: 'tok_tie_a' });
      const tiedB = newToken(ann.id, { id: 'tok_tie_b' });
      await store.tokens.create(tiedA);
      await store.tokens.create(tiedB);
      await store.tokens.create(newToken((await addUser()).id));
      expect(ids(await store.tokens.listForUser(ann.id))).toEqual([tiedB.id, tiedA.id, first.id]);
    });

    it('deletes one token of its user only, or all of them, and counts them', async () => {
      const ann = await addUser();
      const bob = await addUser();
      const tokens = [newToken(ann.id), newToken(ann.id), newToken(ann.id)];
      for (const token of tokens) await store.tokens.create(token);
      const bobs = newToken(bob.id);
      await store.tokens.create(bobs);
      const [one] = tokens as [ApiTokenRecord];
      expect(await store.tokens.deleteForUser(bob.id, one.id)).toBe(false);
      expect(await store.tokens.deleteForUser(ann.id, 'tok_missing')).toBe(false);
      expect(await store.tokens.deleteForUser(ann.id, one.id)).toBe(true);
      expect(await store.tokens.deleteForUser(ann.id, one.id)).toBe(false);
      expect(await store.tokens.byTokenHash(one.tokenHash)).toBeUndefined();
      expect(await store.tokens.deleteAllForUser(ann.id)).toBe(2);
      expect(await store.tokens.listForUser(ann.id)).toEqual([]);
      expect(await store.tokens.byId(bobs.id)).toEqual(bobs);
    });

    racing('reports a token deleted to exactly one of two concurrent deletes', async () => {
      const ann = await addUser();
      const token = newToken(ann.id);
      await store.tokens.create(token);
      const results = await Promise.all([
        store.tokens.deleteForUser(ann.id, token.id),
        store.tokens.deleteForUser(ann.id, token.id),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.tokens.byTokenHash(token.tokenHash)).toBeUndefined();
    });

    it('touches lastUsedAt, and never brings back a deleted token', async () => {
      const ann = await addUser();
      const token = newToken(ann.id);
      await store.tokens.create(token);
      await store.tokens.touch(token.id, iso(START + 60_000));
      expect((await store.tokens.byId(token.id))?.lastUsedAt).toBe(iso(START + 60_000));
      expect(await store.tokens.deleteForUser(ann.id, token.id)).toBe(true);
      await store.tokens.touch(token.id, iso(START + 120_000));
      expect(await store.tokens.byTokenHash(token.tokenHash)).toBeUndefined();
    });
  });

  describe(`${name}: OIDC identities`, () => {
    it('finds an identity by id and by issuer + subject, exactly', async () => {
      const ann = await addUser();
      const identity = newIdentity(ann.id, { subject: 'Sub-1' });
      await store.identities.create(identity);
      expect(await store.identities.byId(identity.id)).toEqual(identity);
      expect(await store.identities.byIssuerSubject(identity.issuer, 'Sub-1')).toEqual(identity);
      expect(await store.identities.byIssuerSubject(identity.issuer, 'sub-1')).toBeUndefined();
      expect(await store.identities.byIssuerSubject('https://other.example', 'Sub-1')).toBeUndefined();
    });

    it('refuses an issuer + subject linked already (to anyone) with oidc_identity_in_use', async () => {
      const ann = await addUser();
      const bob = await addUser();
      const first = newIdentity(ann.id, { subject: 's' });
      await store.identities.create(first);
      await expectAccountsError(
        store.identities.create(newIdentity(bob.id, { subject: 's' })),
        'oidc_identity_in_use',
      );
      await expectAccountsError(
        store.identities.create(newIdentity(ann.id, { subject: 's' })),
        'oidc_identity_in_use',
      );
      await store.identities.create(newIdentity(bob.id, { subject: 's', issuer: 'https://other.example' }));
      expect(await store.identities.byIssuerSubject(first.issuer, 's')).toEqual(first);
      expect(await store.identities.listForUser(bob.id)).toHaveLength(1);
    });

    it('lets exactly one of two concurrent links of one provider account win', async () => {
      const ann = await addUser();
      const bob = await addUser();
      for (const subject of ['s1', 's2', 's3']) {
        const outcomes = await Promise.allSettled([
          store.identities.create(newIdentity(ann.id, { subject })),
          store.identities.create(newIdentity(bob.id, { subject })),
        ]);
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        const lost = outcomes.find((outcome) => outcome.status === 'rejected');
        expect(lost?.reason).toBeInstanceOf(AccountsError);
        expect(lost?.reason).toMatchObject({ code: 'oidc_identity_in_use' });
      }
      expect(await store.identities.list()).toHaveLength(3);
    });

    it('refuses an id in use with store_conflict and leaves the refused subject linkable', async () => {
      const ann = await addUser();
      const first = newIdentity(ann.id);
      await store.identities.create(first);
      await expectConflict(store.identities.create(newIdentity(ann.id, { id: first.id, subject: 'other' })));
      expect(await store.identities.byIssuerSubject(first.issuer, 'other')).toBeUndefined();
      expect(ids(await store.identities.listForUser(ann.id))).toEqual([first.id]);
      await store.identities.create(newIdentity(ann.id, { subject: 'other' }));
      expect(await store.identities.listForUser(ann.id)).toHaveLength(2);
    });

    it('lists oldest first, then by id, all or one user’s', async () => {
      const ann = await addUser();
      const bob = await addUser();
      const first = newIdentity(ann.id);
      await store.identities.create(first);
      now += 1000;
      const tiedB = newIdentity(ann.id, { id: 'idn_tie_b' });
      const tiedA = newIdentity(bob.id, { id: 'idn_tie_a' });
      await store.identities.create(tiedB);
      await store.identities.create(tiedA);
      expect(ids(await store.identities.list())).toEqual([first.id, tiedA.id, tiedB.id]);
      expect(ids(await store.identities.listForUser(ann.id))).toEqual([first.id, tiedB.id]);
      expect(ids(await store.identities.listForUser(bob.id))).toEqual([tiedA.id]);
    });

    it('records a login: the claims snapshot and lastLoginAt, nothing else; nothing for a missing one', async () => {
      const ann = await addUser();
      const identity = newIdentity(ann.id);
      await store.identities.create(identity);
      const snapshot = {
        displayName: 'Annie',
        email: null,
        emailVerified: null,
        groups: ['admins', 'staff'],
      };
      await store.identities.recordLogin(identity.id, snapshot, iso(START + 9000));
      expect(await store.identities.byId(identity.id)).toEqual({
        ...identity,
        ...snapshot,
        lastLoginAt: iso(START + 9000),
      });
      await store.identities.recordLogin('idn_missing', snapshot, iso());
      expect(await store.identities.byId('idn_missing')).toBeUndefined();
    });

    it('deletes an identity once, freeing its issuer + subject', async () => {
      const ann = await addUser();
      const identity = newIdentity(ann.id);
      await store.identities.create(identity);
      expect(await store.identities.delete(identity.id)).toBe(true);
      expect(await store.identities.delete(identity.id)).toBe(false);
      expect(await store.identities.byId(identity.id)).toBeUndefined();
      expect(await store.identities.byIssuerSubject(identity.issuer, identity.subject)).toBeUndefined();
      expect(await store.identities.listForUser(ann.id)).toEqual([]);
      const relinked = newIdentity((await addUser()).id, { subject: identity.subject });
      await store.identities.create(relinked);
      expect(await store.identities.byIssuerSubject(identity.issuer, identity.subject)).toEqual(relinked);
    });
  });

  describe(`${name}: OIDC login attempts`, () => {
    it('hands an attempt out once', async () => {
      const attempt = newAttempt({ intent: 'link', userId: (await addUser()).id, returnTo: null });
      await store.loginAttempts.create(attempt);
      expect(await store.loginAttempts.take(attempt.stateHash)).toEqual(attempt);
      expect(await store.loginAttempts.take(attempt.stateHash)).toBeUndefined();
      expect(await store.loginAttempts.take('0'.repeat(64))).toBeUndefined();
    });

    it('hands an attempt to exactly one of two concurrent takers', async () => {
      const attempts = [1, 2, 3, 4, 5].map(() => newAttempt());
      for (const attempt of attempts) await store.loginAttempts.create(attempt);
      for (const attempt of attempts) {
        const taken = await Promise.all([
          store.loginAttempts.take(attempt.stateHash),
          store.loginAttempts.take(attempt.stateHash),
        ]);
        expect(taken.filter((result) => result !== undefined)).toEqual([attempt]);
      }
    });

    it('refuses a state hash in use with store_conflict', async () => {
      const attempt = newAttempt();
      await store.loginAttempts.create(attempt);
      await expectConflict(store.loginAttempts.create(newAttempt({ stateHash: attempt.stateHash })));
      expect(await store.loginAttempts.take(attempt.stateHash)).toEqual(attempt);
    });

    it('treats an expired attempt as absent, and deletes it on the way', async () => {
      const attempt = newAttempt({ expiresAt: now + 1000 });
      await store.loginAttempts.create(attempt);
      now += 1000;
      expect(await store.loginAttempts.take(attempt.stateHash)).toBeUndefined();
      now = START;
      expect(await store.loginAttempts.take(attempt.stateHash)).toBeUndefined();
    });

    it('sweeps expired attempts only, and counts them', async () => {
      const expired = [newAttempt({ expiresAt: now + 10 }), newAttempt({ expiresAt: now + 20 })];
      const live = newAttempt({ expiresAt: now + 30 });
      for (const attempt of [...expired, live]) await store.loginAttempts.create(attempt);
      expect(await store.loginAttempts.deleteExpired(now + 20)).toBe(2);
      expect(await store.loginAttempts.deleteExpired(now + 20)).toBe(0);
      expect(await store.loginAttempts.take(live.stateHash)).toEqual(live);
    });

    it('lists the attempts still to be taken, by state hash, leaving out taken and expired ones', async () => {
      expect(await store.loginAttempts.list()).toEqual([]);
      const attempts = [1, 2, 3, 4].map(() => newAttempt());
      const expiring = newAttempt({ expiresAt: now + 1000 });
      for (const attempt of [...attempts, expiring]) await store.loginAttempts.create(attempt);
      const [taken, ...open] = attempts as [LoginAttemptRecord, ...LoginAttemptRecord[]];
      await store.loginAttempts.take(taken.stateHash);
      now += 1000;
      const byHash = (a: LoginAttemptRecord, b: LoginAttemptRecord) =>
        Buffer.compare(Buffer.from(a.stateHash), Buffer.from(b.stateHash));
      expect(await store.loginAttempts.list()).toEqual([...open].sort(byHash));
      // Listing takes nothing.
      expect(await store.loginAttempts.take((open[0] as LoginAttemptRecord).stateHash)).toEqual(open[0]);
    });
  });

  describe(`${name}: OIDC session records`, () => {
    it('keeps one record per session, listed under its identity', async () => {
      const ann = await addUser();
      const identity = newIdentity(ann.id);
      await store.identities.create(identity);
      const one = await addSession(ann.id);
      const two = await addSession(ann.id);
      await store.oidcSessions.create({ sessionId: one.id, identityId: identity.id, idToken: 'sealed' });
      await store.oidcSessions.create({ sessionId: two.id, identityId: identity.id, idToken: null });
      expect(await store.oidcSessions.bySessionId(one.id)).toEqual({
        sessionId: one.id,
        identityId: identity.id,
        idToken: 'sealed',
      });
      expect((await store.oidcSessions.sessionIdsOf(identity.id)).sort()).toEqual([one.id, two.id].sort());
      expect(await store.oidcSessions.sessionIdsOf('idn_missing')).toEqual([]);
      expect(await store.oidcSessions.bySessionId('ses_missing')).toBeUndefined();
      await expectConflict(
        store.oidcSessions.create({ sessionId: one.id, identityId: identity.id, idToken: 'x' }),
      );
      expect((await store.oidcSessions.bySessionId(one.id))?.idToken).toBe('sealed');
    });

    it('refuses a record for a session that does not exist with session_not_found', async () => {
      const ann = await addUser();
      const identity = newIdentity(ann.id);
      await store.identities.create(identity);
      await expectAccountsError(
        store.oidcSessions.create({ sessionId: 'ses_missing', identityId: identity.id, idToken: null }),
        'session_not_found',
      );
      expect(await store.oidcSessions.sessionIdsOf(identity.id)).toEqual([]);
    });
  });

  describe(`${name}: authentication settings`, () => {
    it('reads nothing before the first write, then the last document written', async () => {
      expect(await store.authSettings.read()).toBeUndefined();
      await store.authSettings.write(
        { localLoginEnabled: false, oidc: { enabled: true, scopes: ['openid'] } },
        iso(),
      );
      expect(await store.authSettings.read()).toEqual({
        localLoginEnabled: false,
        oidc: { enabled: true, scopes: ['openid'] },
      });
      await store.authSettings.write({ registrationEnabled: true }, iso());
      expect(await store.authSettings.read()).toEqual({ registrationEnabled: true });
    });
  });
}
