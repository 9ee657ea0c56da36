// NAS control-plane logic: node registration and heartbeats, export inventories, sharing, mount profiles
// and early revocation of mount credentials.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventBus, Logger, Principal, UserDirectory } from '@homeport/core';
import { type MountClaims, nodeDavKey, signMountCredential } from '../credentials/mount-credential.js';
import { NasError } from '../errors.js';
import type {
  Access,
  ExportInput,
  ExportRecord,
  NasStore,
  NodeRecord,
  NodeStatus,
} from './store/repositories.js';

export const NODES_TOPIC = 'nas.nodes';
export const EXPORTS_TOPIC = 'nas.exports';

export interface NasServiceOptions {
  store: NasStore;
  events: EventBus;
  log: Logger;
  users: UserDirectory;
  bootstrapToken: string;
  davAuthSecret: string;
  credentialTtlMs: number;
  offlineThresholdMs: number;
  clock?: () => number;
}

export interface RegistrationInput {
  machineId: string;
  displayName: string;
  agentVersion: string;
  directAddress: string | null;
  relayAddress: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

/** Constant-time comparison of a presented token with a stored SHA-256 hex digest. */
function tokenMatches(token: string, storedHex: string): boolean {
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

  /** online while heartbeats arrive; degraded after half the threshold (or when the agent says so); offline after it. */
  const statusOf = (node: NodeRecord): NodeStatus => {
    if (node.lastSeenAt === null) return 'offline';
    const age = clock() - node.lastSeenAt;
    if (age >= options.offlineThresholdMs) return 'offline';
    if (age >= options.offlineThresholdMs / 2 || node.reportedStatus !== 'online') return 'degraded';
    return 'online';
  };

  const nodeView = (node: NodeRecord) => ({
    id: node.id,
    machineId: node.machineId,
    displayName: node.displayName,
    agentVersion: node.agentVersion,
    status: statusOf(node),
    lastSeenAt: node.lastSeenAt === null ? '' : new Date(node.lastSeenAt).toISOString(),
    directAddress: node.directAddress,
    relayAddress: node.relayAddress,
  });

  const exportView = (record: ExportRecord) => ({
    id: record.id,
    nasNodeId: record.nodeId,
    label: record.label,
    path: record.path,
    mountPath: record.mountPath,
    protocols: record.protocols,
    capacityBytes: record.capacityBytes,
    tags: record.tags,
  });

  const publishStatus = async (node: NodeRecord): Promise<void> => {
    const status = statusOf(node);
    if (status === node.status) return;
    await store.nodes.setStatus(node.id, status);
    log.info({ nodeId: node.id, from: node.status, to: status }, 'node status changed');
    events.publish(NODES_TOPIC, 'node.status', {
      nodeId: node.id,
      status,
      lastSeenAt: nodeView(node).lastSeenAt,
    });
  };

  const authenticateNode = async (nodeId: string, token: string | undefined): Promise<NodeRecord> => {
    const node = await store.nodes.byId(nodeId);
    // Same answer for an unknown node and a wrong token: no probing for node ids.
    if (!node || token === undefined || !tokenMatches(token, node.tokenHash)) {
      throw new NasError('unauthorized', 'unauthorized', 'Node token required (Authorization: Bearer)');
    }
    return node;
  };

  /** Exports a principal may see: all for admins and the static client token, granted ones for members. */
  const visibleExports = async (
    principal: Principal,
  ): Promise<{ record: ExportRecord; access: Access }[]> => {
    const all = await store.exports.list();
    if (principal.kind === 'client' || principal.role === 'admin') {
      return all.map((record) => ({ record, access: 'read-write' as const }));
    }
    const grants = new Map(
      (await store.grants.listForUser(principal.userId)).map((grant) => [grant.exportId, grant.access]),
    );
    return all.flatMap((record) => {
      const access = grants.get(record.id);
      return access ? [{ record, access }] : [];
    });
  };

  return {
    nodeView,
    exportView,
    statusOf,

    /**
     * Creates or re-registers the node with this machine id. The bootstrap token may register any
     * machine; a node token may re-register only its own. Either way a new node token is issued
     * (rotation) and returned once, with the node's WebDAV verification key.
     */
    async registerNode(bearer: string | undefined, input: RegistrationInput) {
      const existing = await store.nodes.byMachineId(input.machineId);
      const bootstrap =
        bearer !== undefined && timingSafeEqual(sha256(bearer), sha256(options.bootstrapToken));
      const ownToken =
        bearer !== undefined && existing !== undefined && tokenMatches(bearer, existing.tokenHash);
      if (!bootstrap && !ownToken) {
        throw new NasError(
          'unauthorized',
          'unauthorized',
          'Registering a node needs the bootstrap token or the node token',
        );
      }
      const token = randomBytes(32).toString('hex');
      const node: NodeRecord = {
        id: existing?.id ?? newId('node'),
        machineId: input.machineId,
        displayName: input.displayName,
        agentVersion: input.agentVersion,
        reportedStatus: 'online',
        status: existing?.status ?? 'offline',
        lastSeenAt: clock(),
        directAddress: input.directAddress,
        relayAddress: input.relayAddress,
        tokenHash: sha256(token).toString('hex'),
        createdAt: existing?.createdAt ?? nowIso(),
      };
      await store.nodes.save(node);
      log.info(
        { nodeId: node.id, machineId: node.machineId, reRegistered: existing !== undefined },
        'node registered',
      );
      await publishStatus(node);
      return {
        node: nodeView(node),
        token,
        davKey: nodeDavKey(options.davAuthSecret, node.id).toString('base64url'),
      };
    },

    /** Records a heartbeat (by our clock: the agent's is not trusted) and returns the revocation version. */
    async heartbeat(
      nodeId: string,
      bearer: string | undefined,
      body: { nodeId: string; status: NodeStatus },
    ) {
      const node = await authenticateNode(nodeId, bearer);
      if (body.nodeId !== nodeId) {
        throw new NasError('invalid_request', 'bad_request', 'nodeId in the body does not match the URL');
      }
      const at = clock();
      await store.nodes.recordHeartbeat(nodeId, body.status, at);
      await publishStatus({ ...node, reportedStatus: body.status, lastSeenAt: at });
      return { revocationVersion: await store.credentials.revocationVersion() };
    },

    async syncExports(nodeId: string, bearer: string | undefined, inputs: readonly ExportInput[]) {
      await authenticateNode(nodeId, bearer);
      const paths = new Set<string>();
      const mountPaths = new Set<string>();
      for (const input of inputs) {
        if (paths.has(input.path))
          throw new NasError('invalid_request', 'bad_request', `export path ${input.path} is listed twice`);
        if (mountPaths.has(input.mountPath)) {
          throw new NasError('invalid_request', 'bad_request', `mountPath ${input.mountPath} is used twice`);
        }
        paths.add(input.path);
        mountPaths.add(input.mountPath);
      }
      const records = await store.exports.replaceForNode(nodeId, inputs, () => newId('exp'), nowIso());
      log.info({ nodeId, exports: records.length }, 'exports synced');
      events.publish(EXPORTS_TOPIC, 'exports.synced', { nodeId, count: records.length });
      return records.map(exportView);
    },

    async revokedForNode(nodeId: string, bearer: string | undefined) {
      await authenticateNode(nodeId, bearer);
      return {
        version: await store.credentials.revocationVersion(),
        usernames: await store.credentials.revokedForNode(nodeId, nowSeconds()),
      };
    },

    async listNodes(principal: Principal) {
      const nodes = await store.nodes.list();
      if (principal.kind === 'client' || principal.role === 'admin') return nodes.map(nodeView);
      const visible = new Set((await visibleExports(principal)).map(({ record }) => record.nodeId));
      return nodes.filter((node) => visible.has(node.id)).map(nodeView);
    },

    async listExports(principal: Principal) {
      return (await visibleExports(principal)).map(({ record, access }) => ({
        ...exportView(record),
        access,
      }));
    },

    async listGrants(exportId: string) {
      await this.exportOrThrow(exportId);
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

    async grant(exportId: string, userIdOrName: string, access: Access) {
      await this.exportOrThrow(exportId);
      const user = await options.users.find(userIdOrName);
      if (!user) throw new NasError('user_not_found', 'not_found', `No user "${userIdOrName}"`);
      const grant = { exportId, userId: user.id, access, createdAt: nowIso() };
      await store.grants.put(grant);
      // A narrower grant must take effect now, not when old read-write credentials expire.
      if (access === 'read-only')
        await store.credentials.revoke({ userId: user.id, exportId }, nowIso(), nowSeconds());
      log.info({ exportId, userId: user.id, access }, 'export shared');
      return { userId: user.id, username: user.username, access, createdAt: grant.createdAt };
    },

    async revokeGrant(exportId: string, userId: string) {
      if (!(await store.grants.remove(exportId, userId))) {
        throw new NasError('not_granted', 'not_found', 'This user has no grant on this export');
      }
      await store.credentials.revoke({ userId, exportId }, nowIso(), nowSeconds());
      log.info({ exportId, userId }, 'export unshared');
    },

    async exportOrThrow(exportId: string): Promise<ExportRecord> {
      const record = await store.exports.byId(exportId);
      if (!record) throw new NasError('export_not_found', 'not_found', `No export "${exportId}"`);
      return record;
    },

    /** betterNAS's MountProfile with a short-lived Basic-auth credential the agent verifies by itself. */
    async issueMountProfile(principal: Principal, exportId: string, wantReadonly: boolean | undefined) {
      const record = await this.exportOrThrow(exportId);
      let readonly = wantReadonly ?? false;
      if (principal.kind === 'user' && principal.role !== 'admin') {
        const grant = await store.grants.find(exportId, principal.userId);
        // Unknown and not-shared read the same, so members cannot probe for export ids.
        if (!grant) throw new NasError('not_granted', 'forbidden', 'This export is not shared with you');
        if (grant.access === 'read-only') readonly = true;
      }
      const node = await store.nodes.byId(record.nodeId);
      if (!node || statusOf(node) === 'offline' || node.directAddress === null) {
        throw new NasError(
          'node_offline',
          'unavailable',
          'The node holding this export is offline; try again when it is back',
          {
            retryAfterSeconds: 30,
          },
        );
      }
      const username = `mount-${randomBytes(9).toString('base64url')}`;
      const expiresAt = Math.floor((clock() + options.credentialTtlMs) / 1000);
      const claims: MountClaims = {
        v: 1,
        nodeId: node.id,
        mountPath: record.mountPath,
        username,
        readonly,
        admin: principal.kind === 'user' && principal.role === 'admin' && !readonly,
        expiresAt,
      };
      const password = signMountCredential(claims, nodeDavKey(options.davAuthSecret, node.id));
      await store.credentials.create({
        username,
        userId: principal.kind === 'user' ? principal.userId : null,
        exportId,
        nodeId: node.id,
        readonly,
        issuedAt: nowIso(),
        expiresAt,
        revokedAt: null,
      });
      log.info({ exportId, nodeId: node.id, username, readonly }, 'mount credential issued');
      return {
        id: newId('mnt'),
        exportId,
        protocol: 'webdav' as const,
        displayName: `${record.label} on ${node.displayName}`,
        mountUrl: `${node.directAddress.replace(/\/+$/, '')}${record.mountPath}`,
        readonly,
        credential: {
          mode: 'basic-auth' as const,
          username,
          password,
          expiresAt: new Date(expiresAt * 1000).toISOString(),
        },
      };
    },

    async revokeCredentials(filter: { userId?: string; exportId?: string }) {
      if (filter.userId === undefined && filter.exportId === undefined) {
        throw new NasError('invalid_request', 'bad_request', 'Give userId, exportId or both');
      }
      const revoked = await store.credentials.revoke(filter, nowIso(), nowSeconds());
      log.info({ ...filter, revoked }, 'mount credentials revoked');
      return { revoked };
    },

    async listActiveCredentials() {
      return (await store.credentials.listActive(nowSeconds())).map((credential) => ({
        username: credential.username,
        userId: credential.userId,
        exportId: credential.exportId,
        nodeId: credential.nodeId,
        readonly: credential.readonly,
        issuedAt: credential.issuedAt,
        expiresAt: new Date(credential.expiresAt * 1000).toISOString(),
      }));
    },

    /** Publishes status changes as heartbeats stop arriving; run on a timer. */
    async refreshStatuses() {
      for (const node of await store.nodes.list()) await publishStatus(node);
      await store.credentials.deleteExpired(nowSeconds());
    },
  };
}
