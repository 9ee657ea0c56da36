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
  listForUser(userId: string): Promise<SessionRecord[]>;
  /** Deletes one session of a user; false when it was not theirs or did not exist. */
  deleteForUser(userId: string, sessionId: string): Promise<boolean>;
  deleteById(sessionId: string): Promise<void>;
  deleteAllForUser(userId: string): Promise<number>;
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
  listForUser(userId: string): Promise<ApiTokenRecord[]>;
  deleteForUser(userId: string, tokenId: string): Promise<boolean>;
  touch(tokenId: string, lastUsedAt: string): Promise<void>;
}

export interface AccountsStore {
  users: UserRepository;
  sessions: SessionRepository;
  tokens: ApiTokenRepository;
}
