// Repository interfaces of the accounts module; async so a JetStream KV implementation can follow SQLite's.

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
}

export interface UserPatch {
  role?: Role;
  status?: UserStatus;
  passwordHash?: string;
}

export interface UserRepository {
  /** Throws AccountsError('username_taken') when the name exists in any letter case. */
  create(user: UserRecord): Promise<void>;
  byId(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive. */
  byUsername(username: string): Promise<UserRecord | undefined>;
  list(): Promise<UserRecord[]>;
  update(id: string, patch: UserPatch, updatedAt: string): Promise<UserRecord | undefined>;
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

export interface SessionRepository {
  create(session: SessionRecord): Promise<void>;
  byTokenHash(tokenHash: string): Promise<SessionRecord | undefined>;
  byId(sessionId: string): Promise<SessionRecord | undefined>;
  listForUser(userId: string): Promise<SessionRecord[]>;
  /** Deletes one session of a user; false when it was not theirs or did not exist. */
  deleteForUser(userId: string, sessionId: string): Promise<boolean>;
  deleteById(sessionId: string): Promise<void>;
  /** Ends every session of a user but `exceptSessionId` (the one changing its own password); returns how many. */
  deleteAllForUser(userId: string, exceptSessionId?: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
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

export interface ApiTokenRepository {
  create(token: ApiTokenRecord): Promise<void>;
  byTokenHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  byId(tokenId: string): Promise<ApiTokenRecord | undefined>;
  listForUser(userId: string): Promise<ApiTokenRecord[]>;
  deleteForUser(userId: string, tokenId: string): Promise<boolean>;
  deleteAllForUser(userId: string): Promise<number>;
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
  /** Throws AccountsError('oidc_identity_in_use') when the issuer + subject is linked already. */
  create(identity: OidcIdentityRecord): Promise<void>;
  byId(id: string): Promise<OidcIdentityRecord | undefined>;
  byIssuerSubject(issuer: string, subject: string): Promise<OidcIdentityRecord | undefined>;
  listForUser(userId: string): Promise<OidcIdentityRecord[]>;
  list(): Promise<OidcIdentityRecord[]>;
  recordLogin(id: string, snapshot: IdentityClaimsSnapshot, at: string): Promise<void>;
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
  create(attempt: LoginAttemptRecord): Promise<void>;
  /** Deletes and returns the attempt in one step, so two callbacks with the same state cannot both use it. */
  take(stateHash: string): Promise<LoginAttemptRecord | undefined>;
  deleteExpired(now: number): Promise<number>;
}

export interface OidcSessionRecord {
  sessionId: string;
  identityId: string;
  /** Sealed ID token, sent as `id_token_hint` to the provider's end-session endpoint at logout. */
  idToken: string | null;
}

export interface OidcSessionRepository {
  create(record: OidcSessionRecord): Promise<void>;
  bySessionId(sessionId: string): Promise<OidcSessionRecord | undefined>;
  /** The Homeport sessions opened through one identity (ended when it is unlinked). */
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
  read(): Promise<StoredAuthSettings | undefined>;
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
