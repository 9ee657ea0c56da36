// NAS control-plane logic: node registration and heartbeats, export inventories and sharing; mount profiles
// and credential revocation are in credential-service.ts.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventBus, Logger, Principal, UserDirectory } from '@homeport/core';
import { NasError } from '../errors.js';
import {
  accessRank,
  createAccessPolicy,
  type DefaultAccess,
  type DefaultAccessSetting,
  seesEverything,
} from './access-policy.js';
import { createCredentialService } from './credential-service.js';
import { acceptedKeys, rotateKey } from './node-keys.js';
import { createNodeThrottle } from './node-throttle.js';
import type {
  AgentKind,
  ExportInput,
  ExportRecord,
  ExportSpace,
  GrantAccess,
  NasStore,
  NodeRecord,
  NodeStatus,
} from './store/repositories.js';

export const NODES_TOPIC = 'nas.nodes';
export const EXPORTS_TOPIC = 'nas.exports';
/** Per member: "something you were shared changed" (no ids), so a member's page reloads its own view. */
export const SHARES_TOPIC_PREFIX = 'nas.shares.';
export const sharesTopic = (userId: string) => `${SHARES_TOPIC_PREFIX}${userId}`;
/** For every member while a default access is on: "exports changed" (no ids), as on their own topic. */
export const SHARED_TOPIC = 'nas.shared';
/** Nextcloud's betterNAS app shows an export at this path (cloud profiles). */
export const NEXTCLOUD_EXPORT_PATH = '/apps/betternascontrolplane/exports/';

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

/** Who calls a node route: the bearer token it presented and its address (for the refusal budget). */
export interface NodeCaller {
  bearer: string | undefined;
  ip: string;
}

export interface RegistrationInput {
  /** Which agent registers: Homeport's says so in a header, anything else is taken for a betterNAS agent. */
  agentKind: AgentKind;
  machineId: string;
  displayName: string;
  agentVersion: string;
  directAddress: string | null;
  relayAddress: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** How long an admin's re-enrolment token may be used. */
export const ENROLMENT_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Nodes the bootstrap token may create in all: every agent host holds it, so it must not fill the database. */
export const MAX_NODES = 256;
const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

/** RFC 3339 date-time (a `T` or space, seconds, optional fraction, `Z` or an offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Stored in place of a node token's digest when the token is void: no token hashes to it. */
const VOID_TOKEN_HASH = '';

/** Constant-time comparison of a presented token with a stored SHA-256 hex digest. */
function tokenMatches(token: string, storedHex: string | null): boolean {
  if (storedHex === null || storedHex === VOID_TOKEN_HASH) return false;
  const stored = Buffer.from(storedHex, 'hex');
  const given = sha256(token);
  return stored.length === given.length && timingSafeEqual(stored, given);
}

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
    for (const record of (await store.exports.list()).filter((item) => item.nodeId === nodeId)) {
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
    events.publish(topic, type, payload);
    for (const userId of sharers ?? (await sharersOf(nodeId)))
      events.publish(sharesTopic(userId), 'shares.changed', {});
    if ((await policy.defaultAccess()) !== 'none') events.publish(SHARED_TOPIC, 'shares.changed', {});
  };

  const publishStatus = async (node: NodeRecord): Promise<void> => {
    const status = statusOf(node);
    if (status === node.status) return;
    await store.nodes.setStatus(node.id, status);
    log.info({ nodeId: node.id, from: node.status, to: status }, 'node status changed');
    const lastSeenAt = nodeView(node).lastSeenAt;
    await announce(NODES_TOPIC, 'node.status', { nodeId: node.id, status, lastSeenAt }, node.id);
  };

  const throttle = createNodeThrottle({ clock });
  const tooMany = () =>
    new NasError('rate_limited', 'Too many node requests; slow down', {
      retryAfterSeconds: 60,
    });
  /** A refusal of a node request, or 429 once the caller's address has been refused too often. */
  const refusal = (caller: NodeCaller, message: string) =>
    throttle.refused(caller.ip) ? tooMany() : new NasError('unauthorized', message);

  const authenticateNode = async (nodeId: string, caller: NodeCaller): Promise<NodeRecord> => {
    const node = await store.nodes.byId(nodeId);
    const token = caller.bearer;
    // An unknown node is a 404, as betterNAS answers; it counts against the address like a bad token, so
    // probing for node ids runs into the same refusal budget.
    if (!node) {
      throw throttle.refused(caller.ip) ? tooMany() : new NasError('node_not_found', `No node "${nodeId}"`);
    }
    if (token === undefined || !tokenMatches(token, node.tokenHash)) {
      throw refusal(caller, 'Node token required (Authorization: Bearer)');
    }
    if (throttle.admitted(node.id)) throw tooMany();
    return node;
  };

  const nodeOrThrow = async (nodeId: string): Promise<NodeRecord> => {
    const node = await store.nodes.byId(nodeId);
    if (!node) throw new NasError('node_not_found', `No node "${nodeId}"`);
    return node;
  };

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

  /**
   * What changes when a known node re-registers with its own token. A Homeport agent: the next key
   * generation, the ones before kept until what they signed expires. A betterNAS agent replaced by a
   * Homeport agent on the same machine (an upgrade): the credentials issued in betterNAS's format end, as
   * the new agent would refuse them anyway. The reverse would turn off per-node keys and revocation with
   * nothing but a node token: it takes an admin's re-enrolment token.
   */
  const reRegistration = async (existing: NodeRecord, kind: AgentKind) => {
    if (existing.agentKind === 'homeport' && kind === 'betternas') {
      throw new NasError(
        'agent_kind_downgrade',
        `Node ${existing.id} runs a Homeport agent; to replace it with a betterNAS agent, an admin issues a re-enrolment token (POST /api/v1/nodes/${existing.id}/enrolment-token)`,
      );
    }
    if (kind === 'betternas') return {};
    if (existing.agentKind === 'betternas') {
      const revoked = await store.credentials.revoke({ nodeId: existing.id }, nowIso(), nowSeconds());
      log.info({ nodeId: existing.id, revoked }, 'betterNAS agent replaced by a Homeport agent');
    }
    return rotateKey(existing, { grace: true, nowSeconds: nowSeconds(), ttlSeconds });
  };

  return {
    nodeView,
    exportView,
    statusOf,

    /**
     * Registers a new machine (bootstrap token) or re-registers a known one. A known machine needs its own
     * node token (same node, same token, next key generation with the old ones kept until what they signed
     * expires) or a one-time re-enrolment token from an admin (a new node token, a new key generation
     * without grace: the previous holder loses everything). The bootstrap token never takes over a node.
     * `token` is set only when a new node token was issued.
     */
    async registerNode(caller: NodeCaller, input: RegistrationInput) {
      const { bearer } = caller;
      const existing = await store.nodes.byMachineId(input.machineId);
      const refuse = (message: string) => refusal(caller, message);
      const bootstrap =
        bearer !== undefined && timingSafeEqual(sha256(bearer), sha256(options.bootstrapToken));
      const fields = {
        agentKind: input.agentKind,
        machineId: input.machineId,
        displayName: input.displayName,
        agentVersion: input.agentVersion,
        reportedStatus: 'online' as const,
        lastSeenAt: clock(),
        directAddress: input.directAddress,
        relayAddress: input.relayAddress,
      };
      let node: NodeRecord;
      let token: string | undefined;
      if (!existing) {
        if (!bootstrap) throw refuse('Registering a new node needs the bootstrap token');
        if ((await store.nodes.count()) >= MAX_NODES) {
          throw new NasError(
            'too_many_nodes',
            `This control plane already has ${MAX_NODES} nodes; forget unused ones (DELETE /api/v1/nodes/{nodeId}) first`,
          );
        }
        token = randomBytes(32).toString('hex');
        node = {
          ...fields,
          id: newId('node'),
          status: 'offline',
          tokenHash: sha256(token).toString('hex'),
          createdAt: nowIso(),
          keyId: 1,
          graceFromKeyId: 1,
          graceUntil: null,
          enrolmentHash: null,
          enrolmentExpiresAt: null,
        };
      } else if (bearer !== undefined && tokenMatches(bearer, existing.tokenHash)) {
        node = { ...existing, ...fields, ...(await reRegistration(existing, input.agentKind)) };
      } else if (
        bearer !== undefined &&
        tokenMatches(bearer, existing.enrolmentHash) &&
        (existing.enrolmentExpiresAt ?? 0) > clock() &&
        (await store.nodes.takeEnrolment(existing.id, existing.enrolmentHash as string)) // matched above
      ) {
        token = randomBytes(32).toString('hex');
        const keys = rotateKey(existing, { grace: false, nowSeconds: nowSeconds(), ttlSeconds });
        node = {
          ...existing,
          ...fields,
          ...keys,
          tokenHash: sha256(token).toString('hex'),
          enrolmentHash: null,
          enrolmentExpiresAt: null,
        };
        await store.credentials.revoke({ nodeId: existing.id }, nowIso(), nowSeconds());
        log.warn(
          { nodeId: existing.id, machineId: input.machineId },
          'node re-enrolled; its old token and key are void',
        );
      } else {
        throw refuse(
          bootstrap
            ? `Machine ${input.machineId} is already registered as node ${existing.id}: re-register with its node token, or have an admin issue a re-enrolment token (POST /api/v1/nodes/${existing.id}/enrolment-token)`
            : 'Registering a node needs the bootstrap token (new machines) or the node token',
        );
      }
      await store.nodes.save(node);
      log.info(
        {
          nodeId: node.id,
          machineId: node.machineId,
          reRegistered: existing !== undefined,
          keyId: node.keyId,
        },
        'node registered',
      );
      await publishStatus(node);
      return { node: nodeView(node), token };
    },

    /** The key generations the node verifies credentials with, and the longest lifetime issued. */
    async nodeKeys(nodeId: string, caller: NodeCaller) {
      const node = await authenticateNode(nodeId, caller);
      return {
        nodeId,
        keys: acceptedKeys(node, options.davAuthSecret, nowSeconds()),
        maxTtlSeconds: ttlSeconds,
      };
    },

    /**
     * One-time token (admin) with which the node's machine registers again. Issuing it voids the node's
     * current token and key at once (a stolen token is the usual reason to re-enrol): the node is cut off,
     * its credentials end, until an agent registers with this token.
     */
    async issueEnrolmentToken(nodeId: string) {
      const node = await nodeOrThrow(nodeId);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = clock() + ENROLMENT_TOKEN_TTL_MS;
      const keys = rotateKey(node, { grace: false, nowSeconds: nowSeconds(), ttlSeconds });
      await store.nodes.save({
        ...node,
        ...keys,
        tokenHash: VOID_TOKEN_HASH,
        enrolmentHash: sha256(token).toString('hex'),
        enrolmentExpiresAt: expiresAt,
      });
      const revoked = await store.credentials.revoke({ nodeId }, nowIso(), nowSeconds());
      log.warn({ nodeId, revoked }, 're-enrolment token issued; the node token and key are void');
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },

    /** Next key generation without grace (admin): every credential issued for the node ends now. */
    async rotateNodeKey(nodeId: string) {
      const node = await nodeOrThrow(nodeId);
      const keys = rotateKey(node, { grace: false, nowSeconds: nowSeconds(), ttlSeconds });
      await store.nodes.save({ ...node, ...keys });
      const revoked = await store.credentials.revoke({ nodeId }, nowIso(), nowSeconds());
      log.warn({ nodeId, keyId: keys.keyId, revoked }, 'node key rotated');
      return { keyId: keys.keyId, revoked };
    },

    /** Forgets a node (admin): its exports, their grants and its credentials go; the machine may join afresh. */
    async removeNode(nodeId: string) {
      await nodeOrThrow(nodeId);
      const sharers = await sharersOf(nodeId); // before the grants go with the node
      const revoked = await store.credentials.revoke({ nodeId }, nowIso(), nowSeconds());
      await store.nodes.remove(nodeId);
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
      return { revocationVersion: await store.credentials.revocationVersion(), keyId: node.keyId };
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
      const before = new Map(
        (await store.exports.list()).filter((record) => record.nodeId === nodeId).map((r) => [r.id, r]),
      );
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
      const before = new Map(
        (await store.exports.list()).filter((record) => record.nodeId === nodeId).map((r) => [r.id, r]),
      );
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

    async listGrants(exportId: string) {
      await exportOrThrow(exportId);
      const grants = await store.grants.listForExport(exportId);
      return Promise.all(
        grants.map(async (grant) => ({
          userId: grant.userId,
          username: (await options.users.find(grant.userId))?.username ?? null,
          access: grant.access,
          createdAt: grant.createdAt,
        })),
      );
    },

    async grant(exportId: string, userIdOrName: string, access: GrantAccess) {
      await exportOrThrow(exportId);
      const user = await options.users.find(userIdOrName);
      if (!user) throw new NasError('user_not_found', `No user "${userIdOrName}"`);
      const grant = { exportId, userId: user.id, access, createdAt: nowIso() };
      await store.grants.put(grant);
      // A narrower grant must take effect now, not when old read-write credentials expire.
      if (access !== 'read-write')
        await store.credentials.revoke({ userId: user.id, exportId }, nowIso(), nowSeconds());
      log.info({ exportId, userId: user.id, access }, 'export shared');
      events.publish(sharesTopic(user.id), 'shares.changed', {});
      return { userId: user.id, username: user.username, access, createdAt: grant.createdAt };
    },

    async revokeGrant(exportId: string, userIdOrName: string) {
      await exportOrThrow(exportId);
      const userId = (await userIdOf(userIdOrName)) ?? userIdOrName;
      if (!(await store.grants.remove(exportId, userId))) {
        throw new NasError('not_granted', 'This user has no grant on this export');
      }
      await store.credentials.revoke({ userId, exportId }, nowIso(), nowSeconds());
      log.info({ exportId, userId }, 'export unshared');
      events.publish(sharesTopic(userId), 'shares.changed', {});
    },

    exportOrThrow,
    ...credentials,

    defaultAccessSetting: policy.defaultAccessSetting,

    /**
     * Changes what members get on exports nobody shared with them. A narrower default ends, at once, the
     * credentials members hold under the old one (those with their own grant keep theirs).
     */
    async setDefaultAccess(value: DefaultAccess) {
      const before = await policy.setDefaultAccess(value);
      if (accessRank(value) < accessRank(before)) {
        let revoked = 0;
        for (const credential of await store.credentials.listActive(nowSeconds())) {
          if (credential.userId === null || (value === 'read-only' && credential.readonly)) continue;
          if (await store.grants.find(credential.exportId, credential.userId)) continue;
          if ((await options.users.find(credential.userId))?.role === 'admin') continue;
          const filter = { username: credential.username };
          revoked += await store.credentials.revoke(filter, nowIso(), nowSeconds());
        }
        if (revoked > 0) log.info({ from: before, to: value, revoked }, 'mount credentials revoked');
      }
      if (value !== before) {
        log.info({ from: before, to: value }, 'default export access changed');
        events.publish(SHARED_TOPIC, 'shares.changed', {});
      }
      return policy.defaultAccessSetting();
    },

    /**
     * betterNAS's cloud profile: where Nextcloud's betterNAS app shows an export. `userId` is the Nextcloud
     * app's user, echoed into the id (it names no Homeport account); the export must be one the caller sees.
     */
    async issueCloudProfile(principal: Principal, request: { userId: string; exportId: string }) {
      if ((await policy.accessTo(principal, request.exportId)) === undefined) {
        throw new NasError('export_not_found', `No export "${request.exportId}"`);
      }
      const record = await exportOrThrow(request.exportId);
      if (options.nextcloudBaseUrl === undefined) {
        throw new NasError(
          'nextcloud_not_configured',
          'No Nextcloud is configured; set HOMEPORT_NEXTCLOUD_BASE_URL (or BETTERNAS_NEXTCLOUD_BASE_URL)',
        );
      }
      return {
        id: `cloud-${request.userId}-${record.id}`,
        exportId: record.id,
        provider: 'nextcloud' as const,
        baseUrl: options.nextcloudBaseUrl,
        path: `${NEXTCLOUD_EXPORT_PATH}${encodeURIComponent(record.id)}`,
      };
    },

    /** What /health tells betterNAS's Nextcloud app and stack check about Nextcloud. */
    nextcloudHealth() {
      return {
        configured: options.nextcloudBaseUrl !== undefined,
        baseUrl: options.nextcloudBaseUrl ?? '',
        provider: 'nextcloud' as const,
      };
    },

    /** Publishes status changes as heartbeats stop arriving; run on a timer. */
    async refreshStatuses() {
      for (const node of await store.nodes.list()) await publishStatus(node);
      await store.credentials.deleteExpired(nowSeconds());
    },
  };
}
