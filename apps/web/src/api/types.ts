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

/** A provider account linked to a Homeport user (OIDC: issuer + subject). */
export interface Identity {
  id: string;
  issuer: string;
  subject: string;
  /** Username or email at the provider, as of the last sign-in. */
  displayName: string | null;
  email: string | null;
  createdAt: string;
  lastLoginAt: string | null;
}

/** A user as the admin list shows them, with how they sign in. */
export interface AdminUser extends User {
  signIn: { password: boolean; identities: Identity[] };
}

/** How the signed-in user signs in. */
export interface MySignIn {
  password: boolean;
  identities: Identity[];
}

export type UnknownUsersPolicy = 'create' | 'refuse';

/** Settings → Authentication as the server has them in effect. The client secret is never sent back. */
export interface AuthSettings {
  localLoginEnabled: boolean;
  /** Anyone may create a member account at /register (only while password sign-in is on). */
  registrationEnabled: boolean;
  oidc: {
    enabled: boolean;
    displayName: string | null;
    issuer: string | null;
    clientId: string | null;
    clientSecretSet: boolean;
    scopes: string[];
    usernameClaim: string;
    groupsClaim: string;
    allowedGroups: string[];
    allowedEmailDomains: string[];
    unknownUsers: UnknownUsersPolicy;
    /** What to register at the provider. */
    redirectUri: string;
    postLogoutRedirectUri: string;
  };
  /** Fields set by env or the config file; the page shows them read-only. */
  managed: { field: string; source: 'flag' | 'env' | 'file'; name: string }[];
}

/** Fields left out keep their value; `clientSecret: null` removes the secret. */
export interface AuthSettingsUpdate {
  localLoginEnabled?: boolean;
  registrationEnabled?: boolean;
  oidc?: Partial<Omit<AuthSettings['oidc'], 'clientSecretSet' | 'redirectUri' | 'postLogoutRedirectUri'>> & {
    clientSecret?: string | null;
  };
}

/** What logout answers: for a provider session, where to send the browser so the provider signs out too. */
export interface LogoutResult {
  endSessionUrl?: string;
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

/** `POST /auth/password`: my own password; other sessions end, API tokens too unless kept. */
export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  keepApiTokens?: boolean;
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
  /** Left out: the server's default lifetime (90 days unless configured); null: never expires. */
  expiresInDays?: number | null;
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
  /** With a new password: keep the user's API tokens (a reset ends them by default). */
  keepApiTokens?: boolean;
}

/** One message of the `/api/v1/events` stream (the SSE `data:` field). */
export interface HomeportEvent<TData = unknown> {
  id: string;
  topic: string;
  type: string;
  data: TData;
  at: string;
}

// ---------------------------------------------------------------------------------------------------------
// Storage (NAS): nodes, their exports, sharing and WebDAV mount profiles.

export type NodeStatus = 'online' | 'degraded' | 'offline';
export type ExportAccess = 'read-write' | 'read-only';

/** A machine running a Homeport agent (members see only nodes holding exports shared with them). */
export interface NasNode {
  id: string;
  /** Admins only (members are not told which machine it is). */
  machineId?: string;
  displayName: string;
  agentVersion: string;
  status: NodeStatus;
  /** ISO 8601 timestamp of the last heartbeat; `''` when the node was never seen. */
  lastSeenAt: string;
  /** Null when none was reported, and always for members. */
  directAddress: string | null;
  relayAddress: string | null;
}

/** One-time token with which a node's machine registers again (admins). */
export interface EnrolmentToken {
  token: string;
  /** ISO 8601; an hour after it was issued. */
  expiresAt: string;
}

/** A folder a node shares over WebDAV. */
export interface StorageExport {
  id: string;
  nasNodeId: string;
  label: string;
  /** The folder on the node's own disk (admins only). */
  path?: string;
  /** URL path on the node's WebDAV server, e.g. `/dav/photos/`. */
  mountPath: string;
  protocols: string[];
  capacityBytes: number | null;
  /** Free for ordinary writers and in use, as the node last measured (null: not reported). */
  freeBytes: number | null;
  usedBytes: number | null;
  tags: string[];
  /** What the signed-in user may do with it (admins: always read-write). */
  access?: ExportAccess;
}

export interface ExportGrant {
  userId: string;
  /** Null when the user has been deleted since. */
  username: string | null;
  access: ExportAccess;
  createdAt: string;
}

export interface IssueMountProfileInput {
  exportId: string;
  readonly?: boolean;
}

/** Where and how to mount an export, with a short-lived Basic-auth credential for the node. */
export interface MountProfile {
  id: string;
  exportId: string;
  protocol: 'webdav';
  displayName: string;
  /** `http(s)://<node>/dav/<export>/` */
  mountUrl: string;
  readonly: boolean;
  credential: {
    mode: 'basic-auth';
    username: string;
    password: string;
    expiresAt: string;
  };
}

/** One of my own outstanding mount credentials (its password is never sent again). */
export interface OwnMountCredential {
  /** The credential's id and its Basic-auth username. */
  username: string;
  exportId: string;
  /** Null when the export is gone. */
  exportLabel: string | null;
  readonly: boolean;
  issuedAt: string;
  expiresAt: string;
}

/** At least one of the two. */
export interface RevokeMountCredentialsInput {
  userId?: string;
  exportId?: string;
}
