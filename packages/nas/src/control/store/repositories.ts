// Repository interfaces of the NAS control plane and the behaviour both stores guarantee (SQLite in
// sqlite-store.ts, JetStream KV in kv-store.ts), written on each method and held by one contract suite.

export type NodeStatus = 'online' | 'degraded' | 'offline';
export type Access = 'read-write' | 'read-only';
/** A grant may also say "none": the export stays hidden from that member whatever the default access. */
export type GrantAccess = Access | 'none';
/**
 * Which agent runs on a node, fixed when it registers: a Homeport agent (per-node keys, revocations,
 * heartbeats) or a betterNAS agent (credentials under the shared secret, one heartbeat at start).
 */
export type AgentKind = 'homeport' | 'betternas';

export interface NodeRecord {
  id: string;
  agentKind: AgentKind;
  machineId: string;
  displayName: string;
  agentVersion: string;
  /** What the agent said in its last heartbeat. */
  reportedStatus: NodeStatus;
  /** Last status published (derived from heartbeat age and the reported status). */
  status: NodeStatus;
  /** Epoch ms of the last heartbeat or registration, by the control plane's clock. */
  lastSeenAt: number | null;
  directAddress: string | null;
  relayAddress: string | null;
  tokenHash: string;
  createdAt: string;
  /** Current generation of the node's credential key. */
  keyId: number;
  /** Older generations from this one up are still accepted until `graceUntil` (Unix seconds). */
  graceFromKeyId: number;
  graceUntil: number | null;
  /** SHA-256 hex of a one-time re-enrolment token an admin issued, and when it lapses (epoch ms). */
  enrolmentHash: string | null;
  enrolmentExpiresAt: number | null;
}

export interface ExportInput {
  label: string;
  path: string;
  mountPath: string;
  protocols: string[];
  capacityBytes: number | null;
  /** Bytes an unprivileged writer may still use on the file system (statfs `bavail`); null when unknown. */
  freeBytes: number | null;
  /** Bytes in use on the file system (blocks minus free blocks); null when unknown. */
  usedBytes: number | null;
  tags: string[];
}

/** Space of one export as an agent measured it between inventory syncs. */
export interface ExportSpace {
  exportId: string;
  capacityBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
}

export interface ExportRecord extends ExportInput {
  id: string;
  nodeId: string;
  createdAt: string;
}

export interface GrantRecord {
  exportId: string;
  userId: string;
  access: GrantAccess;
  createdAt: string;
}

export interface CredentialRecord {
  username: string;
  /** The holder; null for the static client token's and for a share link's. */
  userId: string | null;
  /** The share link it was opened through (its holder is anonymous); null otherwise. */
  shareId: string | null;
  exportId: string;
  nodeId: string;
  readonly: boolean;
  issuedAt: string;
  /** Unix seconds. */
  expiresAt: number;
  revokedAt: string | null;
}

/**
 * Nodes (machines running an agent). Contract shared by the SQLite and the KV implementation (one suite,
 * `test/store-contract.ts`, runs against both).
 */
export interface NodeRepository {
  byId(id: string): Promise<NodeRecord | undefined>;
  /** The node registered for this machine id (machine ids are unique). */
  byMachineId(machineId: string): Promise<NodeRecord | undefined>;
  /**
   * Inserts a node, or replaces the registration fields of the node with this id: its `id`, `machineId`
   * and `createdAt` stay as first saved. A new node whose machine id another node holds is refused with
   * `StoreError` `store_conflict` (`details.field: 'machineId'`) and nothing is written — of two concurrent
   * registrations of one machine exactly one wins. KV: a compare-and-set retried on conflict, so a
   * concurrent heartbeat is never lost under it (the fields given here win).
   */
  save(node: NodeRecord): Promise<void>;
  /**
   * Sets `reportedStatus` and `lastSeenAt`, nothing else: a concurrent `save` keeps its fields (KV: a
   * compare-and-set retried on conflict). An unknown id is a no-op.
   */
  recordHeartbeat(id: string, reportedStatus: NodeStatus, at: number): Promise<void>;
  /** Sets `status`, nothing else (as `recordHeartbeat`). An unknown id is a no-op. */
  setStatus(id: string, status: NodeStatus): Promise<void>;
  /** Every node, by `displayName` then `id` (code point order: SQLite's BINARY collation). */
  list(): Promise<NodeRecord[]>;
  count(): Promise<number>;
  /**
   * Single use: clears the re-enrolment token (hash and expiry) only if it still is `hash`; false when it
   * is not (another use won, a new token was issued, no such node). Of concurrent takers exactly one wins.
   */
  takeEnrolment(id: string, hash: string): Promise<boolean>;
  /**
   * Deletes the node with its exports and their grants (a cascade), and frees its machine id. Its mount
   * credentials stay (the service revokes them first; they expire). False when no node had the id; of
   * concurrent removals one returns true. KV: the node's inventory is closed first (no sync can add an
   * export meanwhile), then exports and grants go, the node last; a removal cut short leaves the node
   * listed without exports, and removing it again finishes.
   */
  remove(id: string): Promise<boolean>;
}

/** Exports (folders a node offers), each owned by one node for good. */
export interface ExportRepository {
  /**
   * Makes `inputs` the node's whole inventory. An export whose `path` is kept keeps its `id` and
   * `createdAt`, every other field comes from the input (space included); a new path gets `newId()`
   * (called in input order) and `createdAt = at`; exports whose path is gone are removed with their grants.
   * Kept exports may move to other mount paths, and two may trade theirs. Paths and mount paths must be
   * unique within `inputs` (`StoreError` `store_conflict`, nothing written). An unknown node:
   * `NasError` `node_not_found` (with empty `inputs`, `[]`). Returns the records in input order.
   *
   * SQLite: one transaction. KV: the node's inventory document (ids, path digests, mount paths, createdAt)
   * is replaced in one compare-and-set — the commit point, retried against a concurrent sync — then the
   * other fields are written export by export, each stamped with the inventory's generation so an older
   * sync never overwrites a newer one, and a concurrent `updateSpace` is never lost. If the process dies
   * after the commit, the membership and mount paths are already the new ones, the other fields of kept
   * exports may show their previous values, and removed exports' records and grants linger unseen: the
   * next write of that inventory (the agent's next sync) finishes them, and that sync converges.
   */
  replaceForNode(
    nodeId: string,
    inputs: readonly ExportInput[],
    newId: () => string,
    at: string,
  ): Promise<ExportRecord[]>;
  /**
   * Inserts or updates one export by id (the betterNAS importer keeps the ids agents know). An existing
   * export keeps its node, path and createdAt; the other fields come from `record`. A new one needs its
   * node (`NasError` `node_not_found`); `(node, path)` and `(node, mountPath)` are unique (`store_conflict`).
   */
  put(record: ExportRecord): Promise<void>;
  byId(id: string): Promise<ExportRecord | undefined>;
  /** Every export, by `label` then `id` (code point order). */
  list(): Promise<ExportRecord[]>;
  /**
   * One node's exports, ordered as `list` (an unknown node: `[]`). What a heartbeat, a sync or a status
   * change of that node reads: its cost follows the node's own exports, not every export of the fleet.
   */
  listForNode(nodeId: string): Promise<ExportRecord[]>;
  /**
   * Sets the space of the node's own exports (other nodes' and unknown ids are ignored) and returns the ids
   * whose values changed, in the order given. Touches nothing but the three space fields (KV: a
   * compare-and-set per export, retried), and never brings back an export removed meanwhile.
   */
  updateSpace(nodeId: string, space: readonly ExportSpace[]): Promise<string[]>;
}

/** Grants: per export and user, at most one. */
export interface GrantRepository {
  /** Grants on one export, oldest first (then by user id). */
  listForExport(exportId: string): Promise<GrantRecord[]>;
  /** Grants of one user, oldest first (then by export id). */
  listForUser(userId: string): Promise<GrantRecord[]>;
  find(exportId: string, userId: string): Promise<GrantRecord | undefined>;
  /**
   * Inserts a grant, or changes the access of the existing one (its `createdAt` stays). The export must
   * exist: `NasError` `export_not_found` otherwise — also when it is removed while the grant is written
   * (the grant is then taken back), so no grant outlives its export.
   */
  put(grant: GrantRecord): Promise<void>;
  /** False when there was no such grant; of concurrent removals one returns true. */
  remove(exportId: string, userId: string): Promise<boolean>;
}

/** Which credentials to revoke: every given field must match. */
export interface CredentialFilter {
  /** One credential, by its id (its Basic-auth username). */
  username?: string;
  userId?: string;
  exportId?: string;
  nodeId?: string;
  /** The credentials opened through one share link. */
  shareId?: string;
}

/**
 * Mount credentials issued (their ids and what they allow; the secrets are never stored). A credential is
 * active while unrevoked and `expiresAt > nowSeconds`.
 */
export interface CredentialRepository {
  /** Usernames are unique: `StoreError` `store_conflict` for one already stored. */
  create(credential: CredentialRecord): Promise<void>;
  /**
   * Marks the matching active credentials revoked (`revokedAt = at`) and, when it changed any, bumps the
   * revocation version; returns how many it changed. Calls one after another bump it by exactly one each.
   * KV: each credential by compare-and-set, the version after the marks (an agent that sees the new
   * version finds them all). Each mark records the version that announces it, so a call cut short between
   * marks and bump is completed by the next `revoke` matching them — which is why, under concurrency, a
   * call may also bump for marks another call has not announced yet (an extra bump only makes agents fetch
   * the list once more).
   */
  revoke(filter: CredentialFilter, at: string, nowSeconds: number): Promise<number>;
  /** Ids (usernames) of revoked credentials of a node that have not expired yet, sorted. */
  revokedForNode(nodeId: string, nowSeconds: number): Promise<string[]>;
  /** Starts at 0 and only grows. */
  revocationVersion(): Promise<number>;
  /**
   * Moves the revocation version up to `version` when it is lower, never down; returns the version stored
   * after. For copying a store (`homeport migrate to-kv`): agents fetch the list again whenever the version
   * differs from the one they know, so the copy must not go back to a number they saw with another list.
   */
  raiseRevocationVersion(version: number): Promise<number>;
  /** Active credentials, newest first (`issuedAt` descending, then username). */
  listActive(nowSeconds: number): Promise<CredentialRecord[]>;
  /** Active credentials of one user, newest first (as `listActive`). */
  listActiveForUser(userId: string, nowSeconds: number): Promise<CredentialRecord[]>;
  byUsername(username: string): Promise<CredentialRecord | undefined>;
  /** Active credentials of a user (null: the static client token's; a share link's are not counted). */
  countActive(userId: string | null, nowSeconds: number): Promise<number>;
  /** Active credentials opened through one share link. */
  countActiveForShare(shareId: string, nowSeconds: number): Promise<number>;
  /** Deletes credentials with `expiresAt <= nowSeconds`, revoked or not; returns how many. */
  deleteExpired(nowSeconds: number): Promise<number>;
}

export type ShareMode = 'view' | 'drop';
export type ShareKind = 'file' | 'folder';

/** A share link: one file or folder of an export, opened without an account by whoever holds its secret. */
export interface ShareRecord {
  id: string;
  exportId: string;
  /** The item, relative to the export's root (a canonical scope path, see isScopePath). */
  path: string;
  kind: ShareKind;
  mode: ShareMode;
  /** SHA-256 (hex) of the link's secret; the secret itself is never stored. */
  secretHash: string;
  /** argon2id hash of the link's password; null: no password. */
  passwordHash: string | null;
  /** The user who made it: the link lives on their access. */
  createdBy: string;
  createdAt: string;
  /** Unix seconds. */
  expiresAt: number;
  revokedAt: string | null;
  /** How often it was opened, and when last. */
  opens: number;
  lastOpenedAt: string | null;
}

/** Share links. Active: unrevoked and `expiresAt > nowSeconds`. */
export interface ShareRepository {
  /** Ids are unique: `StoreError` `store_conflict` for one already stored. */
  create(share: ShareRecord): Promise<void>;
  byId(id: string): Promise<ShareRecord | undefined>;
  /** Every link, newest first (`createdAt` descending, then id). */
  list(): Promise<ShareRecord[]>;
  /** One user's links, ordered as `list`. */
  listForCreator(userId: string): Promise<ShareRecord[]>;
  countActive(createdBy: string, nowSeconds: number): Promise<number>;
  /** Marks an unrevoked link revoked; false when unknown or already revoked (of concurrent calls one wins). */
  revoke(id: string, at: string): Promise<boolean>;
  /** Counts one opening (`opens` + 1, `lastOpenedAt = at`); an unknown id is a no-op. No opening is lost. */
  recordOpen(id: string, at: string): Promise<void>;
  /** Deletes links with `expiresAt <= beforeSeconds`, revoked or not; returns how many. */
  deleteExpired(beforeSeconds: number): Promise<number>;
}

/** Failures counted in fixed windows per key (a link's or an address's wrong passwords). */
export interface AttemptWindow {
  count: number;
  /** Epoch ms when the window began. */
  windowStart: number;
}

/**
 * Failed attempts per key, counted where every replica sees them. Windows are at most ATTEMPT_WINDOW_MAX_MS
 * long (KV: the bucket forgets a key that long after its last write).
 */
export interface AttemptRepository {
  /** The window holding `nowMs` (count 0 when there is none, or the last one ended). */
  current(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow>;
  /** Counts one failure in the window holding `nowMs` (a new window when the last ended); no count is lost. */
  fail(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow>;
  /** Forgets windows that began before `beforeMs`. */
  deleteStale(beforeMs: number): Promise<void>;
}

/** The longest attempt window the stores keep. */
export const ATTEMPT_WINDOW_MAX_MS = 60 * 60_000;

/** An export an admin added from the UI: a folder inside one of the node's roots, which its agent checks. */
export interface ManagedExportRecord {
  id: string;
  /** One of the roots the node's agent reported (its real path there). */
  root: string;
  /** Segments below the root (`a/b`), checked by the service and again by the agent. */
  relativePath: string;
  label: string;
  /** Chosen when added and kept on rename, so mounts and credentials keep working. */
  mountPath: string;
  createdBy: string;
  createdAt: string;
}

/** One node's roots (as its agent last reported them) and managed exports (in the order added). */
export interface ManagedExportsDoc {
  roots: string[];
  exports: ManagedExportRecord[];
}

/** Managed exports, one document per node, so their invariants (unique labels…) hold in one write. */
export interface ManagedExportRepository {
  /** The node's document (`{ roots: [], exports: [] }` when none was stored). */
  forNode(nodeId: string): Promise<ManagedExportsDoc>;
  /**
   * Stores what `change` returns for the current document, atomically: `change` may run more than once
   * (KV: a compare-and-set retried against a concurrent writer) and must only compute. Undefined: nothing
   * is written. Returns the document stored afterwards. An error thrown by `change` reaches the caller.
   */
  change(
    nodeId: string,
    change: (doc: ManagedExportsDoc) => ManagedExportsDoc | undefined,
  ): Promise<ManagedExportsDoc>;
  /** Forgets the node's document (the node was removed); a missing one is a no-op. */
  removeNode(nodeId: string): Promise<void>;
}

/** Settings an admin changed at runtime (values from env or file win over them). */
export interface SettingRepository {
  get(key: string): Promise<string | undefined>;
  /** null removes the stored value. */
  set(key: string, value: string | null): Promise<void>;
  /** Every stored setting, by key (code point order); for copying a store. */
  list(): Promise<{ key: string; value: string }[]>;
}

export interface NasStore {
  nodes: NodeRepository;
  settings: SettingRepository;
  exports: ExportRepository;
  grants: GrantRepository;
  credentials: CredentialRepository;
  shares: ShareRepository;
  attempts: AttemptRepository;
  managedExports: ManagedExportRepository;
}
