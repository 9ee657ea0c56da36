// The three repository calls measured on every backend, and what a hand-written client would do for each
// with the @nats-io/kv client directly: the same round trips on the same keys of the same buckets, so the
// ratio between the two is what the store's layers (the KV port, the repositories) cost on top.

import type { AccountsStore, Fixture, NasStore } from './fixtures.js';
import type { Operation } from './load.js';
import type { RawBuckets } from './raw-kv.js';

export type OperationName = 'lookup' | 'update' | 'listing';

export interface OperationSpec {
  name: OperationName;
  /** The repository call, as the table names it. */
  label: string;
  /** What the raw KV equivalent does. */
  rawLabel: string;
}

export const OPERATIONS: readonly OperationSpec[] = [
  {
    name: 'lookup',
    label: 'session lookup (sessions.byTokenHash)',
    rawLabel: 'get session + get its user',
  },
  {
    name: 'update',
    label: 'user update (users.update)',
    rawLabel: 'get user + update at its revision',
  },
  {
    name: 'listing',
    label: 'export listing (exports.list, as GET /api/v1/exports)',
    rawLabel: 'keys inventory.> + get each + get each export',
  },
];

/**
 * Listings that came back short. A short listing is a wrong answer, not a slow one: it is counted and
 * printed rather than failing the run, because JetStream's key listing can return nothing on a cluster
 * (README: "What the figures showed").
 */
export interface ShortListings {
  count: number;
}

/** The repository calls on a seeded store; each checks its answer, so a miss cannot pass for speed. */
export function storeOperations(
  accounts: AccountsStore,
  nas: NasStore,
  fixture: Fixture,
  short: ShortListings,
): Record<OperationName, Operation> {
  return {
    async lookup() {
      const session = await accounts.sessions.byTokenHash(fixture.tokenHash);
      if (session?.userId !== fixture.ownerId) throw new Error('session lookup found no live session');
    },
    async update(lane) {
      const id = fixture.updateUserIds[lane];
      if (id === undefined) throw new Error(`no user for lane ${lane}`);
      const written = await accounts.users.update(id, { status: 'active' }, new Date().toISOString());
      if (written === undefined) throw new Error(`user ${id} not found for the update`);
    },
    async listing() {
      const found = await nas.exports.list();
      if (found.length < fixture.exportCount) short.count += 1;
      else if (found.length !== fixture.exportCount)
        throw new Error(`export listing returned ${found.length} exports, expected ${fixture.exportCount}`);
    },
  };
}

/** The same work with the KV client directly on the store's own buckets and keys. */
export function rawOperations(
  raw: RawBuckets,
  fixture: Fixture,
  short: ShortListings,
): Record<OperationName, Operation> {
  return {
    async lookup() {
      const session = await raw.getJson<{ userId: string }>(raw.records, raw.keys.session(fixture.tokenHash));
      const owner = await raw.getJson<{ id: string }>(raw.records, raw.keys.user(session.value.userId));
      if (owner.value.id !== fixture.ownerId) throw new Error('raw lookup read another user');
    },
    async update(lane) {
      const id = fixture.updateUserIds[lane];
      if (id === undefined) throw new Error(`no user for lane ${lane}`);
      const key = raw.keys.user(id);
      const current = await raw.getJson<Record<string, unknown>>(raw.records, key);
      const next = { ...current.value, status: 'active', updatedAt: new Date().toISOString() };
      await raw.records.update(key, raw.encode(next), current.revision);
    },
    async listing() {
      const inventoryKeys = await raw.listKeys(raw.nodes, 'inventory.>');
      const inventories = await raw.mapBounded(inventoryKeys, (key) =>
        raw.getJson<{ exports: { id: string }[] }>(raw.nodes, key),
      );
      const members = inventories.flatMap((inventory) => inventory.value.exports);
      const records = await raw.mapBounded(members, (member) =>
        raw.getJson<{ id: string }>(raw.exports, raw.keys.export(member.id)),
      );
      if (records.length < fixture.exportCount) short.count += 1;
      else if (records.length !== fixture.exportCount)
        throw new Error(`raw listing read ${records.length} exports, expected ${fixture.exportCount}`);
    },
  };
}
