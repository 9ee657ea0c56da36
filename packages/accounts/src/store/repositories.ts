// Repository interfaces of the accounts module, with the behaviour every implementation guarantees (SQLite in
// sqlite-store.ts, JetStream KV in kv-store.ts; test/store-contract.ts holds both to it). What SQL did
// implicitly — uniqueness, cascades, single use, expiry, ordering — is written here as contract.
//
// Errors common to every method: a store that fails or does not answer in time raises
// StoreError('store_unavailable') (KV) or the driver's error (SQLite); it is never turned into "absent", so
// authentication fails closed. A write that failed that way may or may not have been applied. A create whose
// id (or token hash, state hash) already exists raises StoreError('store_conflict') and changes nothing.

import type { Role } from '@homeport/core';

export type UserStatus = 'active' | 'disabled';

export interface UserRecord {
  id: string;
  username: string;
  /** Null for accounts that cannot sign in with a password. */
  passwordHash: string | null;
  role: Role;
  status: UserStatus;
  createdAt: string;
  updatedAt: string;
  /**
   * Epoch milliseconds: every session of this user created before it reads as absent (ended), so ending all
   * of a user's sessions is one write every replica honours. Absent when never set.
   */
  sessionsNotBefore?: number;
}

export interface UserPatch {
  role?: Role;
  status?: UserStatus;
  passwordHash?: string;
  /** Only ever moves forward: a value below the stored one leaves the stored one. */
  sessionsNotBefore?: number;
}

/** What the stores read the time from (lookups hide expired records); the service's clock. */
export interface AccountsStoreOptions {
  clock?: () => number;
}

export interface UserRepository {
  /**
   * Throws AccountsError('username_taken') when the name exists in any letter case (of two concurrent
   * creates of `Alice` and `alice`, exactly one succeeds); StoreError('store_conflict') when the id does.
   */
  create(user: UserRecord): Promise<void>;
  byId(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive. */
  byUsername(username: string): Promise<UserRecord | undefined>;
  /** Every user, ordered by lower-cased username (byte order of its UTF-8). */
  list(): Promise<UserRecord[]>;
  /**
   * Applies the fields present in `patch` and sets `updatedAt`, as one compare-and-set on the record: a
   * concurrent update of another field is never lost. Returns the record as written, or undefined (and
   * creates nothing) when there is no such user.
   */
  update(id: string, patch: UserPatch, updatedAt: string): Promise<UserRecord | undefined>;
  /** Users with role admin and status active. */
  countActiveAdmins(): Promise<number>;
}

export interface SessionRecord {
  id: string;
  tokenHash: string;
  userId: string;
  createdAt: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * A session is live while `expiresAt` is after the store's clock, its user exists, and it was created at or
 * after the user's `sessionsNotBefore`. Lookups and lists return live sessions only, so expiry does not wait
 * for `deleteExpired`; deletes act on any stored session, live or not.
 */
export interface SessionRepository {
  /**
   * For an existing user (SQLite refuses others; KV stores them, but they never read as live).
   * StoreError('store_conflict') when the id or the token hash is taken.
   */
  create(session: SessionRecord): Promise<void>;
  /** The hot path of every request: one read by key (plus the user's), never a scan. */
  byTokenHash(tokenHash: string): Promise<SessionRecord | undefined>;
  byId(sessionId: string): Promise<SessionRecord | undefined>;
  /** A user's live sessions, newest first (`createdAt` descending, then id descending). */
  listForUser(userId: string): Promise<SessionRecord[]>;
  /**
   * Deletes one session of a user (and its OIDC session record); false when it was not theirs or did not
   * exist. Of two concurrent deletes of the same session, exactly one returns true.
   */
  deleteForUser(userId: string, sessionId: string): Promise<boolean>;
  /** Deletes the session and its OIDC session record; nothing when there is none. */
  deleteById(sessionId: string): Promise<void>;
  /**
   * Ends every session of a user but `exceptSessionId` (the one changing its own password), with their OIDC
   * session records; returns how many it deleted. A session created meanwhile may survive: use the user's
   * `sessionsNotBefore` to end "everything up to now" in one write.
   */
  deleteAllForUser(userId: string, exceptSessionId?: string): Promise<number>;
  /**
   * The sweep: deletes (with their OIDC session records) sessions expired at `now` and those ended by their
   * user's `sessionsNotBefore`; returns how many.
   */
  deleteExpired(now: number): Promise<number>;
  /** Sets `lastSeenAt` (last writer wins); never brings back a session deleted meanwhile. */
  touch(sessionId: string, lastSeenAt: string): Promise<void>;
}

export interface ApiTokenRecord {
  id: string;
  tokenHash: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** Epoch milliseconds, or null for a token that does not expire. */
  expiresAt: number | null;
}

/**
 * API tokens are returned whether or not they have expired: the service refuses an expired one, and a user's
 * list shows it as expired until it is revoked.
 */
export interface ApiTokenRepository {
  /** StoreError('store_conflict') when the id or the token hash is taken. */
  create(token: ApiTokenRecord): Promise<void>;
  /** One read by key, never a scan. */
  byTokenHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  byId(tokenId: string): Promise<ApiTokenRecord | undefined>;
  /** Newest first (`createdAt` descending, then id descending). */
  listForUser(userId: string): Promise<ApiTokenRecord[]>;
  /** False when it was not theirs or did not exist; of two concurrent deletes, exactly one returns true. */
  deleteForUser(userId: string, tokenId: string): Promise<boolean>;
  /** Returns how many it deleted. */
  deleteAllForUser(userId: string): Promise<number>;
  /** Sets `lastUsedAt` (last writer wins); never brings back a token deleted meanwhile. */
  touch(tokenId: string, lastUsedAt: string): Promise<void>;
}

/** An account at an OpenID provider linked to a Homeport user; `issuer` + `subject` identify it. */
export interface OidcIdentityRecord {
  id: string;
  userId: string;
  issuer: string;
  subject: string;
  /** What the provider called the person at the last sign-in (username claim, else email); for admins. */
  displayName: string | null;
  email: string | null;
  emailVerified: boolean | null;
  /** Groups as of the last sign-in, so "would an admin still get in?" can be answered offline. */
  groups: string[];
  createdAt: string;
  lastLoginAt: string | null;
}

export interface IdentityClaimsSnapshot {
  displayName: string | null;
  email: string | null;
  emailVerified: boolean | null;
  groups: string[];
}

export interface OidcIdentityRepository {
  /**
   * Throws AccountsError('oidc_identity_in_use') when the issuer + subject is linked already (to anyone; of
   * two concurrent creates exactly one succeeds); StoreError('store_conflict') when the id is taken.
   */
  create(identity: OidcIdentityRecord): Promise<void>;
  byId(id: string): Promise<OidcIdentityRecord | undefined>;
  /** Exact match of both (the issuer URL as stored, the subject case-sensitive). */
  byIssuerSubject(issuer: string, subject: string): Promise<OidcIdentityRecord | undefined>;
  /** Oldest first (`createdAt` ascending, then id ascending). */
  listForUser(userId: string): Promise<OidcIdentityRecord[]>;
  /** Oldest first (`createdAt` ascending, then id ascending). */
  list(): Promise<OidcIdentityRecord[]>;
  /** Replaces the claims snapshot and `lastLoginAt` as one write; nothing when the identity is gone. */
  recordLogin(id: string, snapshot: IdentityClaimsSnapshot, at: string): Promise<void>;
  /**
   * Deletes the identity and the OIDC session records opened through it (the sessions themselves stay: the
   * caller ends them); its issuer + subject can be linked again. False when there was none.
   */
  delete(id: string): Promise<boolean>;
}

/** One OIDC sign-in between the redirect to the provider and the callback; used once, then gone. */
export interface LoginAttemptRecord {
  /** SHA-256 of the `state` parameter (the state itself travels in URLs and is never stored). */
  stateHash: string;
  /** SHA-256 of the browser-binding cookie: the callback must come from the browser that started. */
  bindingHash: string;
  codeVerifier: string;
  nonce: string;
  issuer: string;
  intent: 'login' | 'link';
  /** For `link`: the signed-in user the identity will be linked to. */
  userId: string | null;
  returnTo: string | null;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface LoginAttemptRepository {
  /** StoreError('store_conflict') when the state hash is taken. */
  create(attempt: LoginAttemptRecord): Promise<void>;
  /**
   * Deletes and returns the attempt in one step: of two takers (concurrent or not) exactly one gets it. An
   * attempt expired at the store's clock is deleted and reads as absent.
   */
  take(stateHash: string): Promise<LoginAttemptRecord | undefined>;
  /** Deletes attempts expired at `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
  /**
   * Every attempt still to be taken (not taken, not expired at the store's clock), by `stateHash` (byte
   * order). Reads them all: for copying a store (`homeport migrate to-kv`), never on a request's path.
   */
  list(): Promise<LoginAttemptRecord[]>;
}

export interface OidcSessionRecord {
  sessionId: string;
  identityId: string;
  /** Sealed ID token, sent as `id_token_hint` to the provider's end-session endpoint at logout. */
  idToken: string | null;
}

/** Each record belongs to a session: it goes when the session is deleted, or when its identity is. */
export interface OidcSessionRepository {
  /**
   * Throws AccountsError('session_not_found') when the session does not exist (the record would outlive it);
   * StoreError('store_conflict') when the session has a record already.
   */
  create(record: OidcSessionRecord): Promise<void>;
  bySessionId(sessionId: string): Promise<OidcSessionRecord | undefined>;
  /** The Homeport sessions opened through one identity (ended when it is unlinked), in no particular order. */
  sessionIdsOf(identityId: string): Promise<string[]>;
}

/**
 * Authentication settings saved from Settings → Authentication. Absent fields fall back to the defaults;
 * values from env or the config file win over these.
 */
export interface StoredAuthSettings {
  localLoginEnabled?: boolean;
  registrationEnabled?: boolean;
  oidc?: {
    enabled?: boolean;
    displayName?: string | null;
    issuer?: string | null;
    clientId?: string | null;
    /** Sealed with the secret box; never the plaintext. */
    clientSecretSealed?: string | null;
    scopes?: string[];
    usernameClaim?: string;
    groupsClaim?: string;
    allowedGroups?: string[];
    allowedEmailDomains?: string[];
    unknownUsers?: 'create' | 'refuse';
  };
}

export interface AuthSettingsRepository {
  /** Undefined until the first write. */
  read(): Promise<StoredAuthSettings | undefined>;
  /** Replaces the whole document (last writer wins: callers read-modify-write under their own guard). */
  write(settings: StoredAuthSettings, updatedAt: string): Promise<void>;
}

export interface AccountsStore {
  users: UserRepository;
  sessions: SessionRepository;
  tokens: ApiTokenRepository;
  identities: OidcIdentityRepository;
  loginAttempts: LoginAttemptRepository;
  oidcSessions: OidcSessionRepository;
  authSettings: AuthSettingsRepository;
}
