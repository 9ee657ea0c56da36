// The records every backend is seeded with before it is measured: the same users, session, nodes and
// exports on SQLite and on KV, shaped and sized like an install's (a real argon2id hash, a browser's user
// agent, exports as an agent reports them).

import { createHash, randomBytes } from 'node:crypto';
import type { createSqliteAccountsStore } from '@homeport/accounts';
import type { createSqliteNasStore, NodeRecord } from '@homeport/nas';

/** The accounts repositories, whichever store is under them. */
export type AccountsStore = ReturnType<typeof createSqliteAccountsStore>;
/** The NAS repositories, whichever store is under them. */
export type NasStore = ReturnType<typeof createSqliteNasStore>;

/** Nodes and exports per node that the export listing returns: a small team's machines. */
export const NODES = 4;
export const EXPORTS_PER_NODE = 5;

export interface Fixture {
  /** The user whose session is looked up. */
  ownerId: string;
  /** The session's token hash (SHA-256 hex of a random token, as the service stores it). */
  tokenHash: string;
  /** One user per lane for the updates, so lanes measure the write and do not fight over one record. */
  updateUserIds: readonly string[];
  exportCount: number;
}

const ARGON2_HASH = `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64').replace(/=+$/, '')}$${randomBytes(32).toString('base64').replace(/=+$/, '')}`;

function user(id: string, username: string, at: string) {
  return {
    id,
    username,
    passwordHash: ARGON2_HASH,
    role: 'member' as const,
    status: 'active' as const,
    createdAt: at,
    updatedAt: at,
  };
}

function node(index: number, at: string): NodeRecord {
  return {
    id: `node_bench${index}`,
    agentKind: 'homeport',
    machineId: `machine-bench-${index}`,
    displayName: `Bench node ${index}`,
    agentVersion: '0.1.0',
    reportedStatus: 'online',
    status: 'online',
    lastSeenAt: Date.parse(at),
    directAddress: `http://10.0.0.${index + 10}:8090`,
    relayAddress: null,
    tokenHash: createHash('sha256').update(`node-${index}`).digest('hex'),
    createdAt: at,
    keyId: 1,
    graceFromKeyId: 1,
    graceUntil: null,
    enrolmentHash: null,
    enrolmentExpiresAt: null,
  };
}

/** Writes the fixture's records through the repositories (as the server would) and returns their keys. */
export async function seed(
  accounts: AccountsStore,
  nas: NasStore,
  lanes: number,
  now: number,
): Promise<Fixture> {
  const at = new Date(now).toISOString();
  const ownerId = 'usr_benchOwner0000';
  await accounts.users.create({ ...user(ownerId, 'bench-owner', at), role: 'admin' });
  const tokenHash = createHash('sha256').update(randomBytes(32)).digest('hex');
  await accounts.sessions.create({
    id: 'ses_benchSession000',
    tokenHash,
    userId: ownerId,
    createdAt: at,
    expiresAt: now + 30 * 86_400_000,
    lastSeenAt: at,
    ip: '192.168.1.23',
    userAgent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  });
  const updateUserIds = Array.from(
    { length: lanes },
    (_, lane) => `usr_benchUpdate${String(lane).padStart(3, '0')}`,
  );
  for (const [lane, id] of updateUserIds.entries())
    await accounts.users.create(user(id, `bench-update-${lane}`, at));

  let exportId = 0;
  for (let n = 0; n < NODES; n += 1) {
    await nas.nodes.save(node(n, at));
    const inputs = Array.from({ length: EXPORTS_PER_NODE }, (_, e) => ({
      label: `Share ${n}-${e}`,
      path: `/srv/storage/disk${n}/share-${e}`,
      mountPath: `/dav/exports/share-${n}-${e}/`,
      protocols: ['webdav'],
      capacityBytes: 4_000_000_000_000,
      freeBytes: 1_250_000_000_000,
      usedBytes: 2_750_000_000_000,
      tags: ['disk', `disk${n}`],
    }));
    await nas.exports.replaceForNode(
      node(n, at).id,
      inputs,
      () => {
        exportId += 1;
        return `exp_bench${String(exportId).padStart(4, '0')}`;
      },
      at,
    );
  }
  return { ownerId, tokenHash, updateUserIds, exportCount: NODES * EXPORTS_PER_NODE };
}
