// Shapes of the Homeport HTTP API (`/api/v1`) as the web UI sees them; all JSON is camelCase.

export type Role = 'admin' | 'member';
export type UserStatus = 'active' | 'disabled';

export interface User {
  id: string;
  username: string;
  role: Role;
  status: UserStatus;
  /** ISO 8601 timestamp. */
  createdAt: string;
  updatedAt: string;
}

export interface OidcConfig {
  displayName: string;
  loginUrl: string;
}

export interface AuthConfig {
  registrationEnabled: boolean;
  localLoginEnabled: boolean;
  oidc: OidcConfig | null;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Returned by login and register; the SPA relies on the HttpOnly cookie and ignores `token`. */
export interface AuthResult {
  token: string;
  user: User;
  expiresAt: string;
}

export interface Session {
  id: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  /** True for the session that made this request. */
  current: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  /** First characters of the token value, shown so a person can tell tokens apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export interface CreateTokenInput {
  name: string;
  expiresInDays?: number;
}

/** `value` is the secret itself; the server never returns it again. */
export interface CreatedToken {
  token: ApiToken;
  value: string;
}

export interface CreateUserInput {
  username: string;
  password: string;
  role: Role;
}

export interface UpdateUserInput {
  role?: Role;
  status?: UserStatus;
  password?: string;
}

/** One message of the `/api/v1/events` stream (the SSE `data:` field). */
export interface HomeportEvent<TData = unknown> {
  id: string;
  topic: string;
  type: string;
  data: TData;
  at: string;
}
