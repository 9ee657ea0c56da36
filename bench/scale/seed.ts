// Seeds a stopped Homeport's SQLite data dir with users, their sessions, and nodes with exports, through
// the same repositories the server uses (createSqliteAccountsStore / createSqliteNasStore), in large
// transactions: password hashing 100,000 users through the API would take hours, and the records come out
// exactly as the server writes them.

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createSqliteAccountsStore } from '@homeport/accounts';
import { openDatabase, type SqliteDatabase } from '@homeport/core';
import { createSqliteNasStore, type NodeRecord } from '@homeport/nas';

export interface SeedPlan {
  /** Member accounts to add (the first admin is already there). */
  users: number;
  /** Sessions to add, spread over the new users in turn (at least one each when sessions ≥ users). */
  sessions: number;
  /** Nodes to add; the exports are spread evenly over them. */
  nodes: number;
  exports: number;
}

export interface Seeded {
  /** A session of the first admin (`admin`), added too: admin calls without a login (no argon2id). */
  adminToken: string;
  /** The raw session tokens (what a client sends as Bearer), in creation order. */
  tokens: string[];
  /** The seeded nodes: the node token an agent sends as Bearer, and the ids of its exports. */
  nodes: { id: string; token: string; exportIds: string[] }[];
  /** Rows in the tables after seeding, read back with SQL: the benchmark checks them against the plan. */
  counts: { users: number; sessions: number; nodes: number; exports: number };
  /** How long the seeding took (ms). */
  tookMs: number;
}

/** An agent reports at most this many exports per node (NodeExportsRequest's maxItems). */
export const MAX_EXPORTS_PER_NODE = 256;
/** Every seeded export's space: a heartbeat reporting the same changes nothing (no event). */
export const SEEDED_SPACE = {
  capacityBytes: 4_000_000_000_000,
  freeBytes: 1_250_000_000_000,
  usedBytes: 2_750_000_000_000,
} as const;
/** Rows written per transaction: big enough to be fast, small enough to keep the WAL modest. */
const BATCH = 5_000;

// A well-formed argon2id hash with the server's parameters; no one logs in as these users (the benchmark
// uses their seeded sessions), so the hash only has to look like a real one to the store.
const PASSWORD_HASH = `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64').replace(/=+$/, '')}$${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const pad = (n: number, width = 6) => String(n).padStart(width, '0');

/** Runs `write(i)` for i in [0, count) in transactions of BATCH rows. */
async function batched(db: SqliteDatabase, count: number, write: (i: number) => Promise<void>) {
  for (let first = 0; first < count; first += BATCH) {
    // better-sqlite3 runs each statement synchronously inside the store's async methods, so an explicit
    // BEGIN/COMMIT around awaited calls on this one connection holds exactly these rows.
    db.exec('BEGIN');
    try {
      for (let i = first; i < Math.min(count, first + BATCH); i += 1) await write(i);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** A node's token: any string works (the server keeps its SHA-256); a readable one helps a post-mortem. */
const nodeToken = (index: number) => `scale-node-token-${pad(index, 4)}`;

function node(index: number, at: number): NodeRecord {
  return {
    id: `node_scale${pad(index, 4)}`,
    agentKind: 'homeport',
    machineId: `machine-scale-${index}`,
    displayName: `Scale node ${index}`,
    agentVersion: '0.1.0',
    // Offline and last seen a day ago: the status timer finds nothing to change (statusOf agrees), so no
    // node event fires in the middle of a measurement.
    reportedStatus: 'offline',
    status: 'offline',
    lastSeenAt: at - 86_400_000,
    directAddress: `http://10.0.${Math.floor(index / 250)}.${(index % 250) + 2}:8090`,
    relayAddress: null,
    tokenHash: createHash('sha256').update(nodeToken(index)).digest('hex'),
    createdAt: new Date(at).toISOString(),
    keyId: 1,
    graceFromKeyId: 1,
    graceUntil: null,
    enrolmentHash: null,
    enrolmentExpiresAt: null,
  };
}

/** The data dir's database: `<dataDir>/homeport.db`, as `homeport start` opens it. */
export const databaseOf = (dataDir: string) => join(dataDir, 'homeport.db');

/**
 * Adds the plan's records to the database of a Homeport that ran once on `dataDir` (so its migrations and
 * first admin are in place) and is stopped now. The admin gets one session more than the plan says.
 */
export async function seedDataDir(dataDir: string, plan: SeedPlan, now = Date.now()): Promise<Seeded> {
  if (plan.nodes === 0 && plan.exports > 0) throw new Error('exports need at least one node');
  if (plan.nodes > 0 && plan.exports / plan.nodes > MAX_EXPORTS_PER_NODE)
    throw new Error(`at most ${MAX_EXPORTS_PER_NODE} exports per node, as an agent reports them`);
  if (plan.sessions > 0 && plan.users === 0) throw new Error('sessions need users');
  const started = performance.now();
  const db = openDatabase(databaseOf(dataDir));
  try {
    const accounts = createSqliteAccountsStore(db);
    const nas = createSqliteNasStore(db);
    const at = new Date(now).toISOString();
    await batched(db, plan.users, (i) =>
      accounts.users.create({
        id: `usr_scale${pad(i)}`,
        username: `scale-user-${pad(i)}`,
        passwordHash: PASSWORD_HASH,
        role: 'member',
        status: 'active',
        createdAt: at,
        updatedAt: at,
      }),
    );
    const tokens: string[] = [];
    await batched(db, plan.sessions, async (i) => {
      const token = randomBytes(32).toString('hex'); // the server's session token format
      tokens.push(token);
      await accounts.sessions.create({
        id: `ses_scale${pad(i, 7)}`,
        tokenHash: createHash('sha256').update(token).digest('hex'),
        userId: `usr_scale${pad(i % plan.users)}`,
        createdAt: at,
        expiresAt: now + 7 * 86_400_000,
        lastSeenAt: at,
        ip: '192.168.1.23',
        userAgent: USER_AGENT,
      });
    });
    const admin = await accounts.users.byUsername('admin');
    if (admin?.role !== 'admin') throw new Error(`no first admin in ${databaseOf(dataDir)}`);
    const adminToken = randomBytes(32).toString('hex');
    await accounts.sessions.create({
      id: 'ses_scaleAdmin',
      tokenHash: createHash('sha256').update(adminToken).digest('hex'),
      userId: admin.id,
      createdAt: at,
      expiresAt: now + 7 * 86_400_000,
      lastSeenAt: at,
      ip: '192.168.1.23',
      userAgent: USER_AGENT,
    });
    let exportId = 0;
    const nodes: Seeded['nodes'] = [];
    for (let n = 0; n < plan.nodes; n += 1) {
      const record = node(n, now);
      await nas.nodes.save(record);
      // Node n gets its even share; the first nodes take the remainder.
      const share = Math.floor(plan.exports / plan.nodes) + (n < plan.exports % plan.nodes ? 1 : 0);
      const inputs = Array.from({ length: share }, (_, e) => ({
        label: `Share ${n}-${e}`,
        path: `/srv/storage/disk${n}/share-${e}`,
        mountPath: `/dav/exports/share-${n}-${e}/`,
        protocols: ['webdav'],
        ...SEEDED_SPACE,
        tags: ['disk', `disk${n}`],
      }));
      const records = await nas.exports.replaceForNode(
        record.id,
        inputs,
        () => {
          exportId += 1;
          return `exp_scale${pad(exportId)}`;
        },
        at,
      );
      nodes.push({ id: record.id, token: nodeToken(n), exportIds: records.map((item) => item.id) });
    }
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      adminToken,
      tokens,
      nodes,
      counts: {
        users: count('users'),
        sessions: count('sessions'),
        nodes: count('nas_nodes'),
        exports: count('nas_exports'),
      },
      tookMs: performance.now() - started,
    };
  } finally {
    db.close();
  }
}
