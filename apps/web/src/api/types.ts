// Shapes of the Homeport HTTP API (`/api/v1`) as the web UI sees them; all JSON is camelCase. Response
// shapes come from the types generated from the server's OpenAPI document (openapi.gen.ts), so they cannot
// drift from the route schemas; what only the UI needs is written here.

import type { paths } from './openapi.gen';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON a route answers with (status 200 unless another is given). */
export type ApiAnswer<
  Path extends keyof paths,
  Method extends keyof paths[Path],
  Status extends number = 200,
> = paths[Path][Method] extends { responses: infer Responses }
  ? Status extends keyof Responses
    ? Json<Responses[Status]>
    : never
  : never;

/** The JSON body a route takes. */
export type ApiBody<
  Path extends keyof paths,
  Method extends keyof paths[Path],
> = paths[Path][Method] extends {
  requestBody?: infer Body;
}
  ? Json<NonNullable<Body>>
  : never;

export type Role = 'admin' | 'member';
export type UserStatus = 'active' | 'disabled';

export type User = ApiAnswer<'/api/v1/users/{id}', 'patch'>;

/** A provider account linked to a Homeport user (OIDC: issuer + subject). */
export type Identity = ApiAnswer<'/api/v1/auth/identities', 'get'>['identities'][number];

/** A user as the admin list shows them, with how they sign in. */
export type AdminUser = ApiAnswer<'/api/v1/users', 'get'>['users'][number];

/** How the signed-in user signs in. */
export type MySignIn = ApiAnswer<'/api/v1/auth/identities', 'get'>;

export type UnknownUsersPolicy = 'create' | 'refuse';

/** Settings → Authentication as the server has them in effect. The client secret is never sent back. */
export type AuthSettings = ApiAnswer<'/api/v1/auth/settings', 'get'>;

/** A change to Settings → Authentication (fields left out stay as they are). */
export type AuthSettingsUpdate = ApiBody<'/api/v1/auth/settings', 'put'>;

/** What logout answers: for a provider session, where to send the browser so the provider signs out too. */
export interface LogoutResult {
  endSessionUrl?: string;
}

export interface OidcConfig {
  displayName: string;
  loginUrl: string;
}

/** What the login page offers. */
export type AuthConfig = ApiAnswer<'/api/v1/auth/config', 'get'>;

export type ChangePasswordInput = ApiBody<'/api/v1/auth/password', 'post'>;

export type Credentials = ApiBody<'/api/v1/auth/login', 'post'>;

/** Returned by login and register; the SPA relies on the HttpOnly cookie and ignores `token`. */
export type AuthResult = ApiAnswer<'/api/v1/auth/login', 'post'>;

export type Session = ApiAnswer<'/api/v1/auth/sessions', 'get'>['sessions'][number];

export type ApiToken = ApiAnswer<'/api/v1/auth/tokens', 'get'>['tokens'][number];

/** `expiresInDays` left out: the server's default lifetime (90 days unless configured); null: never expires. */
export type CreateTokenInput = ApiBody<'/api/v1/auth/tokens', 'post'>;

/** `value` is the secret itself; the server never returns it again. */
export type CreatedToken = ApiAnswer<'/api/v1/auth/tokens', 'post', 201>;

export type CreateUserInput = ApiBody<'/api/v1/users', 'post'>;

/** `keepApiTokens` with a new password keeps the user's API tokens (a reset ends them by default). */
export type UpdateUserInput = ApiBody<'/api/v1/users/{id}', 'patch'>;

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

/** A machine running a storage agent (members see only nodes holding exports they may see, without machine
 * id or addresses). */
export type NasNode = ApiAnswer<'/api/v1/nodes', 'get'>[number];

export type NodeStatus = NasNode['status'];

/**
 * Which agent a node runs. A Homeport agent heartbeats every 30 s and is aged out (online → degraded →
 * offline); a betterNAS agent reports once, at start, keeps the status it reported, and its mount
 * credentials cannot be revoked before they expire.
 */
export type AgentKind = NasNode['agentKind'];

/** What a member may do on an export they see. */
export type ExportAccess = NonNullable<StorageExport['access']>;

/** One-time token with which a node's machine registers again (admins). */
export type EnrolmentToken = ApiAnswer<'/api/v1/nodes/{nodeId}/enrolment-token', 'post'>;
/** A node's roots (its agent's HOMEPORT_EXPORT_ROOTS) and the exports admins added in them. */
export type ManagedExportList = ApiAnswer<'/api/v1/nodes/{nodeId}/managed-exports', 'get'>;
export type ManagedExport = ManagedExportList['exports'][number];
export type ManagedExportInput = ApiBody<'/api/v1/nodes/{nodeId}/managed-exports', 'post'>;

/** A folder a node shares over WebDAV (members: without its path on the node, with their access). */
export type StorageExport = ApiAnswer<'/api/v1/exports', 'get'>[number];

/** Who an export is shared with (`username` is null when the user has been deleted since). */
export type ExportGrant = ApiAnswer<'/api/v1/exports/{exportId}/grants', 'get'>['grants'][number];

/** A grant's access: `none` hides the export from that member whatever the default access. */
export type GrantAccess = ApiBody<'/api/v1/exports/{exportId}/grants/{userId}', 'put'>['access'];

/** Settings → Storage (admins): what members get on exports nobody shared with them, and whether the
 * configuration pins it (`managed`: the variable, flag or config key to change instead). */
export type NasSettings = ApiAnswer<'/api/v1/nas/settings', 'get'>;

export type NasSettingsUpdate = ApiBody<'/api/v1/nas/settings', 'put'>;

export type DefaultAccess = NasSettings['defaultAccess'];

export type IssueMountProfileInput = ApiBody<'/api/v1/mount-profiles/issue', 'post'>;

/** Where and how to mount an export, with a short-lived Basic-auth credential for the node. */
export type MountProfile = ApiAnswer<'/api/v1/mount-profiles/issue', 'post'>;

/** One of my own outstanding mount credentials (its password is never sent again). */
export type OwnMountCredential = ApiAnswer<'/api/v1/mount-credentials/mine', 'get'>['credentials'][number];

/** At least one of the two. */
export type RevokeMountCredentialsInput = ApiBody<'/api/v1/mount-credentials/revoke', 'post'>;
