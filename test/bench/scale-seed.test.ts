// bench/scale's seeding: the records it writes into a data dir are the ones the server then reads — the
// sessions resolve through the store to the right users, the exports land on their nodes — and a plan an
// agent could not produce is refused.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { accountsMigrations, createSqliteAccountsStore } from '@homeport/accounts';
import { applyMigrations, openDatabase } from '@homeport/core';
import { createNasModule, createSqliteNasStore } from '@homeport/nas';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { databaseOf, seedDataDir } from '../../bench/scale/seed.js';

/** A data dir as a first start leaves it: both modules' tables and the first admin. */
async function freshDataDir(): Promise<string> {
  const dir = tempDir('scale-seed-');
  const db = openDatabase(databaseOf(dir));
  applyMigrations(db, 'accounts', accountsMigrations);
  applyMigrations(db, 'nas', createNasModule({ version: 'test' }).migrations);
  const at = new Date().toISOString();
  await createSqliteAccountsStore(db).users.create({
    id: 'usr_admin',
    username: 'admin',
    passwordHash: 'x',
    role: 'admin',
    status: 'active',
    createdAt: at,
    updatedAt: at,
  });
  db.close();
  return dir;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('bench/scale seeding', () => {
  it('writes users, sessions that resolve to them, an admin session, and exports spread over nodes', async () => {
    const dir = await freshDataDir();
    const seeded = await seedDataDir(dir, { users: 3, sessions: 7, nodes: 3, exports: 10 });
    expect(seeded.counts).toEqual({ users: 4, sessions: 8, nodes: 3, exports: 10 });
    expect(seeded.tokens).toHaveLength(7);
    expect(new Set(seeded.tokens).size).toBe(7);

    const db = openDatabase(join(dir, 'homeport.db'));
    try {
      const accounts = createSqliteAccountsStore(db);
      // Sessions go to the users in turn: the 4th (index 3) is the first user's second.
      const fourth = await accounts.sessions.byTokenHash(sha256(seeded.tokens[3] ?? ''));
      expect(fourth?.userId).toBe('usr_scale000000');
      const last = await accounts.sessions.byTokenHash(sha256(seeded.tokens[6] ?? ''));
      expect((await accounts.users.byId(last?.userId ?? ''))?.username).toBe('scale-user-000000');
      const admin = await accounts.sessions.byTokenHash(sha256(seeded.adminToken));
      expect(admin?.userId).toBe('usr_admin');

      const nas = createSqliteNasStore(db);
      const perNode = await Promise.all(seeded.nodes.map((node) => nas.exports.listForNode(node.id)));
      expect(perNode.map((list) => list.length)).toEqual([4, 3, 3]);
      expect(perNode.map((list) => list.map((record) => record.id).sort())).toEqual(
        seeded.nodes.map((node) => [...node.exportIds].sort()),
      );
      // The node token a fake agent sends is the one whose digest the node record holds.
      const node = await nas.nodes.byId(seeded.nodes[0]?.id ?? '');
      expect(node?.tokenHash).toBe(sha256(seeded.nodes[0]?.token ?? ''));
    } finally {
      db.close();
    }
  });

  it('refuses more exports per node than an agent reports, and exports without a node', async () => {
    const dir = await freshDataDir();
    await expect(seedDataDir(dir, { users: 0, sessions: 0, nodes: 1, exports: 257 })).rejects.toThrow(
      /at most 256 exports per node/,
    );
    await expect(seedDataDir(dir, { users: 0, sessions: 0, nodes: 0, exports: 1 })).rejects.toThrow(
      /need at least one node/,
    );
  });
});
