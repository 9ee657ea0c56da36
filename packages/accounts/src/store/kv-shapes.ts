// Checks of the records read back from KV. They are JSON this store wrote, but the bucket is shared
// infrastructure (a migration, an older version, an operator with the NATS CLI): a record of the wrong shape
// fails the call (closed) instead of flowing on as a half-valid user or session.

import type {
  ApiTokenRecord,
  LoginAttemptRecord,
  OidcIdentityRecord,
  OidcSessionRecord,
  SessionRecord,
  UserRecord,
} from './repositories.js';

type Check = (value: unknown) => boolean;

const str: Check = (value) => typeof value === 'string';
const num: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const bool: Check = (value) => typeof value === 'boolean';
const strings: Check = (value) => Array.isArray(value) && value.every(str);
const nullable =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const oneOf =
  (...allowed: readonly unknown[]): Check =>
  (value) =>
    allowed.includes(value);

/** A guard from one check per field; `-?` makes the compiler insist that every field has one. */
function shape<T>(spec: { [K in keyof T]-?: Check }): (value: unknown) => value is T {
  const fields = Object.entries(spec) as [string, Check][]; // entries of the spec object above
  return (value: unknown): value is T => {
    if (typeof value !== 'object' || value === null) return false;
    const record = value as Record<string, unknown>; // an object, checked field by field below
    return fields.every(([field, check]) => check(record[field]));
  };
}

export const isUser = shape<UserRecord>({
  id: str,
  username: str,
  passwordHash: nullable(str),
  role: oneOf('admin', 'member'),
  status: oneOf('active', 'disabled'),
  createdAt: str,
  updatedAt: str,
  sessionsNotBefore: optional(num),
});

export const isSession = shape<SessionRecord>({
  id: str,
  tokenHash: str,
  userId: str,
  createdAt: str,
  expiresAt: num,
  lastSeenAt: str,
  ip: nullable(str),
  userAgent: nullable(str),
});

export const isToken = shape<ApiTokenRecord>({
  id: str,
  tokenHash: str,
  userId: str,
  name: str,
  prefix: str,
  createdAt: str,
  lastUsedAt: nullable(str),
  expiresAt: nullable(num),
});

export const isIdentity = shape<OidcIdentityRecord>({
  id: str,
  userId: str,
  issuer: str,
  subject: str,
  displayName: nullable(str),
  email: nullable(str),
  emailVerified: nullable(bool),
  groups: strings,
  createdAt: str,
  lastLoginAt: nullable(str),
});

export const isLoginAttempt = shape<LoginAttemptRecord>({
  stateHash: str,
  bindingHash: str,
  codeVerifier: str,
  nonce: str,
  issuer: str,
  intent: oneOf('login', 'link'),
  userId: nullable(str),
  returnTo: nullable(str),
  expiresAt: num,
});

export const isOidcSession = shape<OidcSessionRecord>({
  sessionId: str,
  identityId: str,
  idToken: nullable(str),
});

/** `session.id.<id>`: what deleting or sweeping a session needs without reading the session itself. */
export interface SessionIndex {
  tokenHash: string;
  userId: string;
  createdAt: string;
  expiresAt: number;
}

export const isSessionIndex = shape<SessionIndex>({
  tokenHash: str,
  userId: str,
  createdAt: str,
  expiresAt: num,
});

/** `token.id.<id>`. */
export interface TokenIndex {
  tokenHash: string;
  userId: string;
}

export const isTokenIndex = shape<TokenIndex>({ tokenHash: str, userId: str });

/** A uniqueness claim (`user.name.…`, `identity.subject.…`): who holds the name. */
export interface Claim {
  owner: string;
}

export const isClaim = shape<Claim>({ owner: str });

/**
 * Written over the record key of a claim holder whose record never landed (its create crashed or lost a
 * race), so that create can no longer land and the claim can be taken over. Reads as absent.
 */
export interface Abandoned {
  abandoned: true;
}

export const ABANDONED: Abandoned = { abandoned: true };

export const isAbandoned = shape<Abandoned>({ abandoned: oneOf(true) });

export interface StoredAuthSettingsEntry {
  settings: unknown;
  updatedAt: string;
}

export const isAuthSettingsEntry = shape<StoredAuthSettingsEntry>({
  settings: (value) => typeof value === 'object' && value !== null,
  updatedAt: str,
});
