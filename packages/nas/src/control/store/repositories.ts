// Repository interfaces of the NAS control plane; async so a JetStream KV implementation can follow.

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
  userId: string | null;
  exportId: string;
  nodeId: string;
  readonly: boolean;
  issuedAt: string;
  /** Unix seconds. */
  expiresAt: number;
  revokedAt: string | null;
}

export interface NodeRepository {
  byId(id: string): Promise<NodeRecord | undefined>;
  byMachineId(machineId: string): Promise<NodeRecord | undefined>;
  /** Inserts or replaces the registration fields of a node (keeps id and createdAt of an existing one). */
  save(node: NodeRecord): Promise<void>;
  recordHeartbeat(id: string, reportedStatus: NodeStatus, at: number): Promise<void>;
  setStatus(id: string, status: NodeStatus): Promise<void>;
  list(): Promise<NodeRecord[]>;
  count(): Promise<number>;
  /** Clears the re-enrolment token if it is still `hash` (single use); false when another use won. */
  takeEnrolment(id: string, hash: string): Promise<boolean>;
  /** Deletes the node with its exports and their grants. */
  remove(id: string): Promise<boolean>;
}

export interface ExportRepository {
  /** Replaces a node's inventory in one transaction: kept paths keep their ids, removed ones go. */
  replaceForNode(
    nodeId: string,
    inputs: readonly ExportInput[],
    newId: () => string,
    at: string,
  ): Promise<ExportRecord[]>;
  /** Inserts or updates one export by id (the betterNAS importer keeps the ids agents know). */
  put(record: ExportRecord): Promise<void>;
  byId(id: string): Promise<ExportRecord | undefined>;
  list(): Promise<ExportRecord[]>;
  /** Updates the space of the node's own exports (others' ids are ignored); returns the ids changed. */
  updateSpace(nodeId: string, space: readonly ExportSpace[]): Promise<string[]>;
}

export interface GrantRepository {
  listForExport(exportId: string): Promise<GrantRecord[]>;
  listForUser(userId: string): Promise<GrantRecord[]>;
  find(exportId: string, userId: string): Promise<GrantRecord | undefined>;
  put(grant: GrantRecord): Promise<void>;
  remove(exportId: string, userId: string): Promise<boolean>;
}

/** Which credentials to revoke: every given field must match. */
export interface CredentialFilter {
  /** One credential, by its id (its Basic-auth username). */
  username?: string;
  userId?: string;
  exportId?: string;
  nodeId?: string;
}

export interface CredentialRepository {
  create(credential: CredentialRecord): Promise<void>;
  /** Marks unexpired credentials revoked and bumps the revocation version; returns how many. */
  revoke(filter: CredentialFilter, at: string, nowSeconds: number): Promise<number>;
  /** Ids (usernames) of revoked credentials of a node that have not expired yet. */
  revokedForNode(nodeId: string, nowSeconds: number): Promise<string[]>;
  revocationVersion(): Promise<number>;
  listActive(nowSeconds: number): Promise<CredentialRecord[]>;
  /** Unrevoked, unexpired credentials of one user, newest first. */
  listActiveForUser(userId: string, nowSeconds: number): Promise<CredentialRecord[]>;
  byUsername(username: string): Promise<CredentialRecord | undefined>;
  /** Unrevoked, unexpired credentials of a user (null: the static client token's). */
  countActive(userId: string | null, nowSeconds: number): Promise<number>;
  deleteExpired(nowSeconds: number): Promise<number>;
}

/** Settings an admin changed at runtime (values from env or file win over them). */
export interface SettingRepository {
  get(key: string): Promise<string | undefined>;
  /** null removes the stored value. */
  set(key: string, value: string | null): Promise<void>;
}

export interface NasStore {
  nodes: NodeRepository;
  settings: SettingRepository;
  exports: ExportRepository;
  grants: GrantRepository;
  credentials: CredentialRepository;
}
