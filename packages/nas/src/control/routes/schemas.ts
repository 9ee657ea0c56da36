// Request and response schemas of the NAS routes; betterNAS's shapes (shared/reference) kept as they were.

import { Nullable, Type } from '@homeport/core';

export const NodeStatusSchema = Type.Union([
  Type.Literal('online'),
  Type.Literal('offline'),
  Type.Literal('degraded'),
]);
export const AccessSchema = Type.Union([Type.Literal('read-write'), Type.Literal('read-only')]);
/** A grant may also be "none": hidden from that member whatever the default access. */
export const GrantAccessSchema = Type.Union([
  Type.Literal('read-write'),
  Type.Literal('read-only'),
  Type.Literal('none'),
]);
export const AgentKindSchema = Type.Union([Type.Literal('homeport'), Type.Literal('betternas')]);

/** An absolute http(s) URL with a host and no query or fragment (betterNAS's rule for node addresses). */
const Address = Type.String({ maxLength: 512, pattern: '^https?://[^/?#\\s]+[^?#\\s]*$' });
/** Required text: the routes trim it first, so blank is empty and refused. */
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/** Members get the node without its machine id and addresses (null); admins and scripts get all of it. */
export const NasNode = Type.Object({
  id: Type.String(),
  /** Which agent the node runs (Homeport's addition): it decides the credential format and liveness. */
  agentKind: AgentKindSchema,
  machineId: Type.Optional(Type.String()),
  displayName: Type.String(),
  agentVersion: Type.String(),
  status: NodeStatusSchema,
  lastSeenAt: Type.String(),
  directAddress: Nullable(Type.String()),
  relayAddress: Nullable(Type.String()),
});

export const NodeRegistrationRequest = Type.Object({
  machineId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
  displayName: Text(128),
  agentVersion: Text(64),
  directAddress: Nullable(Address),
  relayAddress: Nullable(Address),
});

const Bytes = Nullable(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }));

/** Space of one export measured by the agent; Homeport's addition to betterNAS's heartbeat, optional. */
export const ExportSpaceReport = Type.Object(
  {
    exportId: Type.String({ minLength: 1, maxLength: 64 }),
    capacityBytes: Bytes,
    freeBytes: Bytes,
    usedBytes: Bytes,
  },
  { additionalProperties: false },
);

export const NodeHeartbeatRequest = Type.Object({
  nodeId: Type.String({ maxLength: 64 }),
  status: NodeStatusSchema,
  /** RFC 3339 (checked by the service: 400 otherwise). */
  lastSeenAt: Type.String({ minLength: 1, maxLength: 64 }),
  exports: Type.Optional(Type.Array(ExportSpaceReport, { maxItems: 256 })),
});

/**
 * A URL path prefix on the agent: safe characters only, no `.`/`..` segments, slash-terminated. Homeport's
 * credentials name the export by id, not by mount path, so its length does not count against Finder's
 * password limit (betterNAS's agents use 78 characters with two exports or more).
 */
export const MOUNT_PATH_PATTERN = '^/((?!\\.{1,2}/)[A-Za-z0-9._~-]+/)+$';
export const MOUNT_PATH_MAX = 512;

export const StorageExportInput = Type.Object({
  label: Text(128),
  path: Type.String({ minLength: 1, maxLength: 4096, pattern: '\\S' }),
  mountPath: Type.String({ minLength: 1, maxLength: MOUNT_PATH_MAX, pattern: MOUNT_PATH_PATTERN }),
  protocols: Type.Array(Type.Literal('webdav'), { minItems: 1, maxItems: 1 }),
  capacityBytes: Nullable(Type.Integer({ minimum: 0 })),
  // Homeport's additions; betterNAS agents leave them out.
  freeBytes: Type.Optional(Bytes),
  usedBytes: Type.Optional(Bytes),
  tags: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 }),
});

/** Members get an export without its folder on the node (`path`); admins and scripts get all of it. */
export const StorageExport = Type.Object({
  id: Type.String(),
  nasNodeId: Type.String(),
  label: Type.String(),
  path: Type.Optional(Type.String()),
  mountPath: Type.String(),
  protocols: Type.Array(Type.String()),
  capacityBytes: Nullable(Type.Integer()),
  /** Free for ordinary writers, as the agent last measured it (null: not reported). */
  freeBytes: Nullable(Type.Integer()),
  usedBytes: Nullable(Type.Integer()),
  tags: Type.Array(Type.String()),
  access: Type.Optional(AccessSchema),
});

export const NodeExportsRequest = Type.Object({ exports: Type.Array(StorageExportInput, { maxItems: 256 }) });

export const MountProfileRequest = Type.Object({
  exportId: Type.String({ minLength: 1, maxLength: 64 }),
  readonly: Type.Optional(Type.Boolean()),
});

export const MountProfile = Type.Object({
  id: Type.String(),
  exportId: Type.String(),
  protocol: Type.Literal('webdav'),
  displayName: Type.String(),
  mountUrl: Type.String(),
  readonly: Type.Boolean(),
  credential: Type.Object({
    mode: Type.Literal('basic-auth'),
    username: Type.String(),
    password: Type.String(),
    expiresAt: Type.String(),
  }),
});

export const Grant = Type.Object({
  userId: Type.String(),
  username: Nullable(Type.String()),
  access: GrantAccessSchema,
  createdAt: Type.String(),
});

export const Revocations = Type.Object({
  version: Type.Integer(),
  /** Ids (Basic-auth usernames) of revoked credentials of this node that have not expired yet. */
  ids: Type.Array(Type.String()),
});

export const NodeKeys = Type.Object({
  nodeId: Type.String(),
  keys: Type.Array(
    Type.Object({
      id: Type.Integer(),
      key: Type.String({ description: 'base64url HMAC-SHA256 key' }),
      notAfter: Nullable(Type.Integer({ description: 'Unix seconds; a retired generation ends then' })),
    }),
  ),
  maxTtlSeconds: Type.Integer(),
});

export const EnrolmentToken = Type.Object({
  token: Type.String(),
  expiresAt: Type.String(),
});

export const ActiveCredential = Type.Object({
  username: Type.String(),
  userId: Nullable(Type.String()),
  /** The share link it was opened through (`share-…` credentials, which no user holds); null otherwise. */
  shareId: Nullable(Type.String()),
  exportId: Type.String(),
  nodeId: Type.String(),
  readonly: Type.Boolean(),
  issuedAt: Type.String(),
  expiresAt: Type.String(),
});

/** One of the signed-in user's own credentials (`GET /api/v1/mount-credentials/mine`). */
export const OwnCredential = Type.Object({
  username: Type.String(),
  exportId: Type.String(),
  exportLabel: Nullable(Type.String()),
  readonly: Type.Boolean(),
  issuedAt: Type.String(),
  expiresAt: Type.String(),
});

/**
 * A credential's id is its username: `mount-` (a mount), `web-` (the browser's files page) or `share-` (opened
 * through a share link), and 12 base64url characters.
 */
export const CredentialParams = Type.Object({
  username: Type.String({ minLength: 5, maxLength: 64, pattern: '^(mount|web|share)-[A-Za-z0-9_-]+$' }),
});

export const CloudProfileRequest = Type.Object({
  userId: Text(128),
  exportId: Text(64),
  provider: Type.Literal('nextcloud'),
});

export const CloudProfile = Type.Object({
  id: Type.String(),
  exportId: Type.String(),
  provider: Type.Literal('nextcloud'),
  baseUrl: Type.String(),
  path: Type.String(),
});

export const NasSettings = Type.Object({
  defaultAccess: GrantAccessSchema,
  /** Set by the environment, a flag or the config file: not editable in the UI. */
  managed: Nullable(
    Type.Object({
      source: Type.Union([Type.Literal('flag'), Type.Literal('env'), Type.Literal('file')]),
      name: Type.String(),
    }),
  ),
});

export const NodeParams = Type.Object({ nodeId: Type.String({ minLength: 1, maxLength: 64 }) });
export const ExportParams = Type.Object({ exportId: Type.String({ minLength: 1, maxLength: 64 }) });
export const GrantParams = Type.Object({
  exportId: Type.String({ minLength: 1, maxLength: 64 }),
  userId: Type.String({ minLength: 1, maxLength: 64 }),
});
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});

/** The browser's access to one export (the Files page): the agent's URL and a bearer token for it. */
export const BrowserAccess = Type.Object({
  /** The export's mount URL on its agent, ending in `/`; files are addressed below it. */
  baseUrl: Type.String(),
  /** Sent to the agent as `Authorization: Bearer <token>` (or `?access_token=` on GET/HEAD). */
  token: Type.String(),
  expiresAt: Type.String(),
  readonly: Type.Boolean(),
  exportId: Type.String(),
  label: Type.String(),
});

export const ShareModeSchema = Type.Union([Type.Literal('view'), Type.Literal('drop')]);
export const ShareKindSchema = Type.Union([Type.Literal('file'), Type.Literal('folder')]);

export const ShareRequest = Type.Object(
  {
    /** The item, relative to the export's root, not percent-encoded: `/Holidays/2026` (a trailing `/` is fine). */
    path: Type.String({ minLength: 1, maxLength: 1100 }),
    kind: ShareKindSchema,
    mode: ShareModeSchema,
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 })),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const Share = Type.Object({
  id: Type.String(),
  exportId: Type.String(),
  /** null once the export is gone (the link no longer opens). */
  exportLabel: Nullable(Type.String()),
  path: Type.String(),
  name: Type.String(),
  kind: ShareKindSchema,
  mode: ShareModeSchema,
  hasPassword: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  revokedAt: Nullable(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  opens: Type.Integer(),
  lastOpenedAt: Nullable(Type.String()),
});

export const CreatedShare = Type.Object({
  share: Share,
  /** `<public URL>/s/<id>#<secret>` (relative when HOMEPORT_PUBLIC_URL is unset): shown this once. */
  url: Type.String(),
});

/** Share ids are `shr_` and 16 base64url characters. */
export const ShareParams = Type.Object({
  shareId: Type.String({ minLength: 4, maxLength: 64, pattern: '^shr_[A-Za-z0-9_-]+$' }),
});

export const ShareOpenRequest = Type.Object(
  {
    secret: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const ShareAccess = Type.Object({
  baseUrl: Type.String(),
  token: Type.String(),
  expiresAt: Type.String(),
  mode: ShareModeSchema,
  name: Type.String(),
  kind: ShareKindSchema,
  /** The shared item below baseUrl (percent-encode each segment to address it). */
  path: Type.String(),
});
