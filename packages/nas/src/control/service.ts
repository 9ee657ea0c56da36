// NAS control-plane logic: node status and heartbeats, export inventories, what each principal sees, and the
// composition of the parts in their own files: node identity (node-enrolment.ts), mount credentials
// (credential-service.ts), sharing and default access (sharing-service.ts, access-policy.ts).

import {
  type EventBus,
  type Logger,
  type PasswordHasher,
  type Principal,
  publishOrLog,
  type UserDirectory,
} from '@homeport/core';
import { NasError } from '../errors.js';
import {
  createAccessPolicy,
  type DefaultAccess,
  type DefaultAccessSetting,
  seesEverything,
} from './access-policy.js';
import { createCredentialService } from './credential-service.js';
import { createManagedExportService } from './managed-export-service.js';
import { createNodeEnrolment, type NodeCaller, newId, type RegistrationInput } from './node-enrolment.js';
import { createShareService } from './share-service.js';
import { createSharingService } from './sharing-service.js';
import type {
  ExportInput,
  ExportRecord,
  ExportSpace,
  NasStore,
  NodeRecord,
  NodeStatus,
} from './store/repositories.js';
import { EXPORTS_TOPIC, NODES_TOPIC, SHARED_TOPIC, sharesTopic } from './topics.js';

export type { NodeCaller, RegistrationInput } from './node-enrolment.js';
export { ENROLMENT_TOKEN_TTL_MS, MAX_NODES } from './node-enrolment.js';
export {
  EXPORTS_TOPIC,
  NODES_TOPIC,
  SHARED_TOPIC,
  SHARES_TOPIC_PREFIX,
  sharesTopic,
} from './topics.js';

export interface NasServiceOptions {
  store: NasStore;
  events: EventBus;
  log: Logger;
  users: UserDirectory;
  bootstrapToken: string;
  davAuthSecret: string;
  /** BETTERNAS_DAV_AUTH_SECRET: what betterNAS agents verify with. */
  betternasSecret?: string | undefined;
  defaultAccess?: { configured: DefaultAccess | undefined; managed: DefaultAccessSetting['managed'] };
  /** Nextcloud with betterNAS's app (cloud profiles), without a trailing slash. */
  nextcloudBaseUrl?: string | undefined;
  credentialTtlMs: number;
  offlineThresholdMs: number;
  clock?: () => number;
  /** Hashes share links' passwords (the accounts module's argon2id threads). */
  passwords: PasswordHasher;
  /** Told after an admin changed a node's exports from the UI (the module nudges its embedded agent). */
  onManagedExportsChanged?: (nodeId: string) => void;
  /** HOMEPORT_PUBLIC_URL without a trailing slash, which share links start with (unset: relative links). */
  publicUrl?: () => string | undefined;
}

/**
 * A change of free space worth telling open pages about: 0.1% of the disk (at least 1 MiB). Smaller ones
 * are stored at once but not announced, so a busy disk does not make every page reload every heartbeat.
 */
function spaceMoved(before: ExportRecord, after: ExportSpace): boolean {
  if (before.capacityBytes !== after.capacityBytes) return true;
  if ((before.freeBytes === null) !== (after.freeBytes === null)) return true;
  const threshold = Math.max(1 << 20, (after.capacityBytes ?? 0) / 1000);
  return Math.abs((before.freeBytes ?? 0) - (after.freeBytes ?? 0)) >= threshold;
}

/** RFC 3339 date-time (a `T` or space, seconds, optional fraction, `Z` or an offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export type NasService = ReturnType<typeof createNasService>;

export function createNasService(options: NasServiceOptions) {
  const { store, events, log } = options;
  const clock = options.clock ?? Date.now;
  const nowIso = () => new Date(clock()).toISOString();
  const nowSeconds = () => Math.floor(clock() / 1000);
  const ttlSeconds = Math.ceil(options.credentialTtlMs / 1000);
  const policy = createAccessPolicy({
    store,
    configured: options.defaultAccess?.configured,
    managed: options.defaultAccess?.managed ?? null,
  });

  /**
   * A Homeport agent: online while heartbeats arrive; degraded after half the threshold (or when the agent
   * says so); offline after it. A betterNAS agent heartbeats once, at start, by design: it is what it last
   * reported, never aged out (as in betterNAS).
   */
  const statusOf = (node: NodeRecord): NodeStatus => {
    if (node.agentKind === 'betternas') return node.reportedStatus;
    if (node.lastSeenAt === null) return 'offline';
    const age = clock() - node.lastSeenAt;
    if (age >= options.offlineThresholdMs) return 'offline';
    if (age >= options.offlineThresholdMs / 2 || node.reportedStatus !== 'online') return 'degraded';
    return 'online';
  };

  /**
   * A node as the API shows it. `full` (admins, the static client token, the node itself) includes where it
   * is; members see its name and status only — its address reaches them inside a mount profile, for the
   * exports they may mount.
   */
  const nodeView = (node: NodeRecord, full = true) => ({
    id: node.id,
    agentKind: node.agentKind,
    ...(full ? { machineId: node.machineId } : {}),
    displayName: node.displayName,
    agentVersion: node.agentVersion,
    status: statusOf(node),
    lastSeenAt: node.lastSeenAt === null ? '' : new Date(node.lastSeenAt).toISOString(),
    directAddress: full ? node.directAddress : null,
    relayAddress: full ? node.relayAddress : null,
  });

  /** An export as the API shows it; members do not see the folder's path on the node. */
  const exportView = (record: ExportRecord, full = true) => ({
    id: record.id,
    nasNodeId: record.nodeId,
    label: record.label,
    ...(full ? { path: record.path } : {}),
    mountPath: record.mountPath,
    protocols: record.protocols,
    capacityBytes: record.capacityBytes,
    freeBytes: record.freeBytes,
    usedBytes: record.usedBytes,
    tags: record.tags,
  });

  /** Users with a grant on any export of the node: the members whose view a change of it touches. */
  const sharersOf = async (nodeId: string): Promise<Set<string>> => {
    const users = new Set<string>();
    for (const record of await store.exports.listForNode(nodeId)) {
      for (const grant of await store.grants.listForExport(record.id)) users.add(grant.userId);
    }
    return users;
  };

  /**
   * Admin topics carry ids and states of every node; members are told only that their own view changed,
   * on their own topic, so nothing about nodes and exports not shared with them reaches them.
   */
  const announce = async (
    topic: string,
    type: string,
    payload: Record<string, unknown>,
    nodeId: string,
    sharers?: ReadonlySet<string>,
  ): Promise<void> => {
    // After the change is stored: a publish that fails is logged, not thrown (see publishOrLog).
    await publishOrLog(events, log, topic, type, payload);
    for (const userId of sharers ?? (await sharersOf(nodeId)))
      await publishOrLog(events, log, sharesTopic(userId), 'shares.changed', {});
    if ((await policy.defaultAccess()) !== 'none')
      await publishOrLog(events, log, SHARED_TOPIC, 'shares.changed', {});
  };

  const publishStatus = async (node: NodeRecord): Promise<void> => {
    const status = statusOf(node);
    if (status === node.status) return;
    await store.nodes.setStatus(node.id, status);
    log.info({ nodeId: node.id, from: node.status, to: status }, 'node status changed');
    const lastSeenAt = nodeView(node).lastSeenAt;
    await announce(NODES_TOPIC, 'node.status', { nodeId: node.id, status, lastSeenAt }, node.id);
  };

  const enrolment = createNodeEnrolment({
    store,
    log,
    clock,
    bootstrapToken: options.bootstrapToken,
    davAuthSecret: options.davAuthSecret,
    ttlSeconds,
    publishStatus,
  });
  const { authenticateNode, nodeOrThrow } = enrolment;

  /** A user by id or username; a grant or credential of a deleted user is still addressed by its id. */
  const userIdOf = async (userIdOrName: string): Promise<string | undefined> =>
    (await options.users.find(userIdOrName))?.id;

  const exportOrThrow = async (exportId: string): Promise<ExportRecord> => {
    const record = await store.exports.byId(exportId);
    if (!record) throw new NasError('export_not_found', `No export "${exportId}"`);
    return record;
  };

  const credentials = createCredentialService({
    store,
    log,
    davAuthSecret: options.davAuthSecret,
    betternasSecret: options.betternasSecret,
    ttlSeconds,
    clock,
    statusOf,
    exportOrThrow,
    userIdOf,
    policy,
  });
  const { visibleExports } = policy;
  const sharing = createSharingService({
    store,
    log,
    events,
    users: options.users,
    policy,
    clock,
    nextcloudBaseUrl: options.nextcloudBaseUrl,
    exportOrThrow,
    userIdOf,
    revokeShareCredentialsOf: credentials.revokeShareCredentialsOf,
  });
  const managed = createManagedExportService({
    store,
    log,
    events,
    clock,
    nodeOrThrow,
    authenticateNode,
    ...(options.onManagedExportsChanged ? { onChange: options.onManagedExportsChanged } : {}),
  });
  const shares = createShareService({
    store,
    log,
    users: options.users,
    policy,
    passwords: options.passwords,
    credentials,
    clock,
    exportOrThrow,
    publicUrl: options.publicUrl ?? (() => undefined),
  });

  return {
    nodeView,
    exportView,
    statusOf,

    /** See node-enrolment.ts; the node comes back as the API shows it. */
    async registerNode(caller: NodeCaller, input: RegistrationInput) {
      const { node, token } = await enrolment.registerNode(caller, input);
      return { node: nodeView(node), token };
    },
    nodeKeys: enrolment.nodeKeys,
    issueEnrolmentToken: enrolment.issueEnrolmentToken,
    rotateNodeKey: enrolment.rotateNodeKey,

    /** Forgets a node (admin): its exports, their grants and its credentials go; the machine may join afresh. */
    async removeNode(nodeId: string) {
      await nodeOrThrow(nodeId);
      const sharers = await sharersOf(nodeId); // before the grants go with the node
      const revoked = await store.credentials.revoke({ nodeId }, nowIso(), nowSeconds());
      await store.nodes.remove(nodeId);
      await store.managedExports.removeNode(nodeId);
      log.warn({ nodeId, revoked }, 'node removed');
      await announce(NODES_TOPIC, 'node.removed', { nodeId }, nodeId, sharers);
    },

    /**
     * Records a heartbeat (by our clock: the agent's is not trusted) and the space of the node's exports
     * when the agent measured it, and returns the revocation version.
     */
    async heartbeat(
      nodeId: string,
      caller: NodeCaller,
      body: {
        nodeId: string;
        status: NodeStatus;
        lastSeenAt: string;
        exports?: readonly ExportSpace[] | undefined;
      },
    ) {
      const node = await authenticateNode(nodeId, caller);
      if (body.nodeId !== nodeId) {
        throw new NasError('invalid_request', 'nodeId in the body does not match the URL');
      }
      const reported = Date.parse(body.lastSeenAt);
      if (!RFC3339.test(body.lastSeenAt) || Number.isNaN(reported)) {
        throw new NasError(
          'invalid_request',
          'lastSeenAt must be an RFC 3339 time, like 2026-12-01T17:23:37Z',
        );
      }
      // A Homeport agent's liveness is measured by our clock (the agent's is not trusted); a betterNAS
      // agent's time is stored as it sent it, as betterNAS does — but never in our future.
      const at = node.agentKind === 'betternas' ? Math.min(reported, clock()) : clock();
      await store.nodes.recordHeartbeat(nodeId, body.status, at);
      await publishStatus({ ...node, reportedStatus: body.status, lastSeenAt: at });
      if (body.exports && body.exports.length > 0) await this.recordSpace(nodeId, body.exports);
      return {
        revocationVersion: await store.credentials.revocationVersion(),
        keyId: node.keyId,
        // Only Homeport agents take exports from the control plane.
        managedVersion: node.agentKind === 'homeport' ? await managed.managedVersionOf(nodeId) : undefined,
      };
    },

    async syncExports(nodeId: string, caller: NodeCaller, inputs: readonly ExportInput[]) {
      await authenticateNode(nodeId, caller);
      const paths = new Set<string>();
      const mountPaths = new Set<string>();
      for (const input of inputs) {
        if (paths.has(input.path))
          throw new NasError('invalid_request', `export path ${input.path} is listed twice`);
        if (mountPaths.has(input.mountPath)) {
          throw new NasError('invalid_request', `mountPath ${input.mountPath} is used twice`);
        }
        paths.add(input.path);
        mountPaths.add(input.mountPath);
      }
      const before = new Map((await store.exports.listForNode(nodeId)).map((r) => [r.id, r]));
      const sharers = await sharersOf(nodeId); // removed exports take their grants with them
      const records = await store.exports.replaceForNode(nodeId, inputs, () => newId('exp'), nowIso());
      // A removed export's credentials end; so do those of an export now at another mount path (the URL
      // they were issued with leads elsewhere, or nowhere).
      const kept = new Map(records.map((record) => [record.id, record]));
      for (const [id, old] of before) {
        if (kept.get(id)?.mountPath === old.mountPath) continue;
        const revoked = await store.credentials.revoke({ exportId: id }, nowIso(), nowSeconds());
        if (revoked > 0)
          log.info({ nodeId, exportId: id, revoked }, 'credentials of a removed or moved export revoked');
      }
      log.info({ nodeId, exports: records.length }, 'exports synced');
      await announce(EXPORTS_TOPIC, 'exports.synced', { nodeId, count: records.length }, nodeId, sharers);
      return records.map((record) => exportView(record));
    },

    /** Stores the space an agent measured (its own exports only) and announces changes that matter. */
    async recordSpace(nodeId: string, space: readonly ExportSpace[]) {
      const before = new Map((await store.exports.listForNode(nodeId)).map((r) => [r.id, r]));
      const changed = new Set(await store.exports.updateSpace(nodeId, space));
      const moved = space.filter((entry) => {
        const old = before.get(entry.exportId);
        return old !== undefined && changed.has(entry.exportId) && spaceMoved(old, entry);
      });
      if (moved.length > 0) {
        const exportIds = moved.map((entry) => entry.exportId);
        await announce(EXPORTS_TOPIC, 'exports.space', { nodeId, exportIds }, nodeId);
      }
    },

    async revokedForNode(nodeId: string, caller: NodeCaller) {
      await authenticateNode(nodeId, caller);
      return {
        version: await store.credentials.revocationVersion(),
        ids: await store.credentials.revokedForNode(nodeId, nowSeconds()),
      };
    },

    async listNodes(principal: Principal) {
      const nodes = await store.nodes.list();
      if (seesEverything(principal)) return nodes.map((node) => nodeView(node));
      const visible = new Set((await visibleExports(principal)).map(({ record }) => record.nodeId));
      return nodes.filter((node) => visible.has(node.id)).map((node) => nodeView(node, false));
    },

    async listExports(principal: Principal) {
      const full = seesEverything(principal);
      return (await visibleExports(principal)).map(({ record, access }) => ({
        ...exportView(record, full),
        access,
      }));
    },

    exportOrThrow,
    ...credentials,
    ...sharing,
    ...shares,
    ...managed,

    /** Publishes status changes as heartbeats stop arriving; run on a timer. */
    async refreshStatuses() {
      for (const node of await store.nodes.list()) await publishStatus(node);
      await store.credentials.deleteExpired(nowSeconds());
      await shares.sweepShares();
    },
  };
}
