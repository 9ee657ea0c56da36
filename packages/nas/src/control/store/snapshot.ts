// Every NAS control-plane record read out of one store and written into another with its ids kept — what
// `homeport migrate to-kv` copies SQLite into JetStream KV with. Reads and writes go through the repository
// interfaces only, so one description serves both stores and two snapshots compare field by field.

import { pickFields, type SnapshotKind, sameJson } from '@homeport/core';
import { SHARE_FIELDS } from './kv-shares.js';
import { compareText, mapBounded } from './kv-support.js';
import type {
  CredentialRecord,
  ExportInput,
  ExportRecord,
  GrantRecord,
  ManagedExportsDoc,
  NasStore,
  NodeRecord,
  ShareRecord,
} from './repositories.js';

export interface NasSnapshotOptions {
  /** Epoch ms: which credentials are still live (expired ones are swept, in every store). */
  now: () => number;
}

/** The revocation counter, as a record of its own. */
export interface RevocationCounter {
  version: number;
}

const sorted = <T>(records: T[], key: (record: T) => string) =>
  records.sort((a, b) => compareText(key(a), key(b)));

const NODE_FIELDS: readonly (keyof NodeRecord)[] = [
  'id',
  'agentKind',
  'machineId',
  'displayName',
  'agentVersion',
  'reportedStatus',
  'status',
  'lastSeenAt',
  'directAddress',
  'relayAddress',
  'tokenHash',
  'createdAt',
  'keyId',
  'graceFromKeyId',
  'graceUntil',
  'enrolmentHash',
  'enrolmentExpiresAt',
];
const EXPORT_FIELDS: readonly (keyof ExportRecord)[] = [
  'id',
  'nodeId',
  'label',
  'path',
  'mountPath',
  'protocols',
  'capacityBytes',
  'freeBytes',
  'usedBytes',
  'tags',
  'createdAt',
];
const GRANT_FIELDS: readonly (keyof GrantRecord)[] = ['exportId', 'userId', 'access', 'createdAt'];
const CREDENTIAL_FIELDS: readonly (keyof CredentialRecord)[] = [
  'username',
  'userId',
  'shareId',
  'exportId',
  'nodeId',
  'readonly',
  'issuedAt',
  'expiresAt',
  'revokedAt',
];

const inputOf = ({
  label,
  path,
  mountPath,
  protocols,
  capacityBytes,
  freeBytes,
  usedBytes,
  tags,
}: ExportRecord) =>
  ({ label, path, mountPath, protocols, capacityBytes, freeBytes, usedBytes, tags }) satisfies ExportInput;

/**
 * The NAS records of `store`, kind by kind in the order a copy must write them (an export needs its node, a
 * grant its export). Credentials are the live ones — active, or revoked and not yet expired (which agents
 * still refuse) — found through the nodes; expired ones are swept in every store. Credentials cannot be
 * deleted before they expire, so one only the target has stays (a report shows it). The revocation counter
 * is one record (none while it is 0); the target's satisfies the source's when it is at least as high (it
 * never goes down).
 *
 * @example
 *   for (const kind of nasSnapshotKinds(store, { now: Date.now }))
 *     console.log(kind.name, (await kind.read()).length);
 */
export function nasSnapshotKinds(store: NasStore, options: NasSnapshotOptions): SnapshotKind<object>[] {
  const nowSeconds = () => Math.floor(options.now() / 1000);

  const nodes: SnapshotKind<NodeRecord> = {
    name: 'nodes',
    key: (node) => node.id,
    secretFields: ['tokenHash', 'enrolmentHash'],
    read: async () =>
      sorted(
        (await store.nodes.list()).map((node) => pickFields(node, NODE_FIELDS)),
        (node) => node.id,
      ),
    create: (node) => store.nodes.save(node),
    async update(wanted, current) {
      // A node keeps its machine id and creation time for good.
      if (wanted.machineId !== current.machineId || wanted.createdAt !== current.createdAt) return false;
      await store.nodes.save(wanted);
      return true;
    },
    remove: (current) => store.nodes.remove(current.id).then(() => true),
  };

  const exportsOf = async () => store.exports.list();
  const exports: SnapshotKind<ExportRecord> = {
    name: 'exports',
    key: (record) => record.id,
    secretFields: [],
    read: async () =>
      sorted(
        (await exportsOf()).map((record) => pickFields(record, EXPORT_FIELDS)),
        (record) => record.id,
      ),
    create: (record) => store.exports.put(record),
    async update(wanted, current) {
      // An export keeps its node, path and creation time for good (put keeps them).
      if (
        wanted.nodeId !== current.nodeId ||
        wanted.path !== current.path ||
        wanted.createdAt !== current.createdAt
      )
        return false;
      await store.exports.put(wanted);
      return true;
    },
    async remove(current) {
      // The node's inventory without it: kept paths keep their ids, so no new id is ever asked for.
      const kept = (await exportsOf()).filter(
        (record) => record.nodeId === current.nodeId && record.id !== current.id,
      );
      await store.exports.replaceForNode(
        current.nodeId,
        kept.map(inputOf),
        () => {
          throw new Error(`removing export ${current.id} would have created another`);
        },
        current.createdAt,
      );
      return true;
    },
  };

  const grantKey = (grant: GrantRecord) => `${grant.exportId}/${grant.userId}`;
  const grants: SnapshotKind<GrantRecord> = {
    name: 'grants',
    key: grantKey,
    secretFields: [],
    async read() {
      const lists = await mapBounded(await exportsOf(), (record) => store.grants.listForExport(record.id));
      return sorted(
        lists.flat().map((grant) => pickFields(grant, GRANT_FIELDS)),
        grantKey,
      );
    },
    create: (grant) => store.grants.put(grant),
    async update(wanted, current) {
      // put keeps an existing grant's createdAt: a different one means writing it afresh.
      if (wanted.createdAt !== current.createdAt) await store.grants.remove(current.exportId, current.userId);
      await store.grants.put(wanted);
      return true;
    },
    remove: (current) => store.grants.remove(current.exportId, current.userId).then(() => true),
  };

  /** A revoked credential written as revoked: create keeps `revokedAt` in some stores, revoke does in all. */
  const markRevoked = async (credential: CredentialRecord) => {
    if (credential.revokedAt === null) return;
    const stored = await store.credentials.byUsername(credential.username);
    // Any time at all counts as "before it expires" here (0): the mark is copied, not decided.
    if (stored?.revokedAt === null)
      await store.credentials.revoke({ username: credential.username }, credential.revokedAt, 0);
  };
  const credentials: SnapshotKind<CredentialRecord> = {
    name: 'credentials',
    key: (credential) => credential.username,
    secretFields: [],
    async read() {
      const now = nowSeconds();
      const active = await store.credentials.listActive(now);
      const revokedNames = (
        await mapBounded(await store.nodes.list(), (node) => store.credentials.revokedForNode(node.id, now))
      ).flat();
      const revoked = await mapBounded(revokedNames, (username) => store.credentials.byUsername(username));
      return sorted(
        [...active, ...revoked.filter((record) => record !== undefined)].map((record) =>
          pickFields(record, CREDENTIAL_FIELDS),
        ),
        (record) => record.username,
      );
    },
    async create(credential) {
      await store.credentials.create(credential);
      await markRevoked(credential);
    },
    async update(wanted, current) {
      // The only change a credential sees is its revocation.
      if (current.revokedAt !== null || !sameJson({ ...wanted, revokedAt: null }, current)) return false;
      await markRevoked(wanted);
      return true;
    },
    remove: async () => false,
  };

  const revocations: SnapshotKind<RevocationCounter> = {
    name: 'revocation counter',
    key: () => 'revocations',
    secretFields: [],
    async read() {
      // At 0 nothing was ever revoked: the store's starting state, as if the counter were not there.
      const version = await store.credentials.revocationVersion();
      return version === 0 ? [] : [{ version }];
    },
    create: (wanted) => store.credentials.raiseRevocationVersion(wanted.version).then(() => undefined),
    update: async (wanted) =>
      (await store.credentials.raiseRevocationVersion(wanted.version)) >= wanted.version,
    remove: async () => false,
    satisfies: (wanted, current) => current.version >= wanted.version,
  };

  const shares: SnapshotKind<ShareRecord> = {
    name: 'share links',
    key: (share) => share.id,
    secretFields: ['secretHash', 'passwordHash'],
    read: async () =>
      sorted(
        (await store.shares.list()).map((share) => pickFields(share, SHARE_FIELDS)),
        (share) => share.id,
      ),
    create: (share) => store.shares.create(share),
    async update(wanted, current) {
      // A link changes only by its revocation and its counters; the counters are not worth a copy's refusal.
      const fixed = (share: ShareRecord) => ({ ...share, revokedAt: null, opens: 0, lastOpenedAt: null });
      if (!sameJson(fixed(wanted), fixed(current)) || wanted.revokedAt === null) return false;
      if (current.revokedAt === null) await store.shares.revoke(current.id, wanted.revokedAt);
      return true;
    },
    remove: async () => false,
    satisfies: (wanted, current) =>
      sameJson({ ...wanted, opens: 0, lastOpenedAt: null }, { ...current, opens: 0, lastOpenedAt: null }),
  };

  const settings: SnapshotKind<{ key: string; value: string }> = {
    name: 'settings',
    key: (setting) => setting.key,
    secretFields: [],
    read: async () => store.settings.list(),
    create: (setting) => store.settings.set(setting.key, setting.value),
    update: (wanted) => store.settings.set(wanted.key, wanted.value).then(() => true),
    remove: (current) => store.settings.set(current.key, null).then(() => true),
  };

  // Exports added from the UI, one document per node: without them an agent's next sync would drop those
  // exports (and their ids and grants) after a migration.
  const managedExports: SnapshotKind<{ nodeId: string } & ManagedExportsDoc> = {
    name: 'managed exports',
    key: (doc) => doc.nodeId,
    secretFields: [],
    read: async () =>
      sorted(
        (
          await mapBounded(await store.nodes.list(), async (node) => ({
            nodeId: node.id,
            ...(await store.managedExports.forNode(node.id)),
          }))
        ).filter((doc) => doc.roots.length > 0 || doc.exports.length > 0),
        (doc) => doc.nodeId,
      ),
    create: async ({ nodeId, roots, exports: managed }) => {
      await store.managedExports.change(nodeId, () => ({ roots, exports: managed }));
    },
    update: ({ nodeId, roots, exports: managed }) =>
      store.managedExports.change(nodeId, () => ({ roots, exports: managed })).then(() => true),
    remove: (current) => store.managedExports.removeNode(current.nodeId).then(() => true),
  };

  return [nodes, exports, grants, credentials, revocations, shares, settings, managedExports];
}

/** Every NAS record of `store`, per kind (see nasSnapshotKinds). */
export async function snapshotNas(
  store: NasStore,
  options: NasSnapshotOptions,
): Promise<Record<string, object[]>> {
  const snapshot: Record<string, object[]> = {};
  for (const kind of nasSnapshotKinds(store, options)) snapshot[kind.name] = await kind.read();
  return snapshot;
}
