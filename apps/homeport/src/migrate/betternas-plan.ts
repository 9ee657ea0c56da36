// Decides, for each betterNAS user, node and export, whether it is created in Homeport, is there already from
// an earlier run, or is skipped and why. Reads Homeport; writes nothing.

import { createHash } from 'node:crypto';
import { usernameProblem } from '@homeport/accounts/rules';
import { ID_PATTERN, MAX_ID_LENGTH } from '@homeport/nas';
import type { BetternasExport, BetternasNode, BetternasSnapshot, BetternasUser } from './betternas-source.js';
import { MigrateError } from './errors.js';
import type { ExportRecord, ImportTarget, NodeRecord, NodeStatus, UserRecord } from './stores.js';

/** One betterNAS row's fate. `id` is the username for users, the betterNAS id for nodes and exports. */
export type PlanEntry<T> =
  | { action: 'create'; id: string; record: T; notes: string[] }
  | { action: 'unchanged'; id: string; notes: string[] }
  | { action: 'skip'; id: string; reason: string };

export interface ImportPlan {
  users: PlanEntry<UserRecord>[];
  nodes: PlanEntry<NodeRecord>[];
  exports: PlanEntry<ExportRecord>[];
  /** betterNAS sessions, which are not imported. */
  sessionCount: number;
}

export interface PlanOptions {
  /** Username of the imported user who becomes an admin (any letter case). */
  admin?: string | undefined;
  /** Epoch ms: createdAt of imported nodes and exports, updatedAt of imported users. */
  now: number;
}

// Node and export ids travel inside mount credentials (ID_PATTERN, MAX_ID_LENGTH from @homeport/nas);
// betterNAS's own are `dev-node`, `dev-export`, …
const ID_RULE = `1–${MAX_ID_LENGTH} characters of A–Z, a–z, 0–9, . _ -`;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const NODE_STATUSES: readonly string[] = ['online', 'degraded', 'offline'] satisfies NodeStatus[];

/** Epoch ms of an RFC 3339 time; undefined when it is not one (Date.parse alone takes local-time forms). */
function rfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The Homeport id of an imported user, derived from the betterNAS id: a second run recognises the users it
 * imported by it, even after their first login replaced the bcrypt hash.
 */
export function importedUserId(betternasId: string): string {
  return `usr_${createHash('sha256').update(`betternas-user:${betternasId}`).digest().subarray(0, 12).toString('base64url')}`;
}

const skip = <T>(id: string, reason: string): PlanEntry<T> => ({ action: 'skip', id, reason });

async function planUser(
  user: BetternasUser,
  target: ImportTarget,
  seen: Set<string>,
  options: PlanOptions,
): Promise<PlanEntry<UserRecord>> {
  const key = user.username.toLowerCase();
  const problem = usernameProblem(user.username);
  if (problem !== undefined) return skip(user.username, `not a valid Homeport username: ${problem}`);
  if (seen.has(key))
    return skip(user.username, 'another betterNAS user has this name in another letter case');
  seen.add(key);
  const id = importedUserId(user.id);
  const existing = await target.users.byUsername(user.username);
  if (existing !== undefined && existing.id !== id) {
    return skip(user.username, 'a Homeport user with this name exists');
  }
  const isAdmin = options.admin !== undefined && options.admin.toLowerCase() === key;
  const imported = existing ?? (await target.users.byId(id));
  if (imported !== undefined) {
    const notes = imported.username === user.username ? [] : [`imported before as ${imported.username}`];
    if (isAdmin && imported.role !== 'admin') {
      notes.push(
        `imported before as a member; make them admin with \`homeport user set-role ${imported.username} admin\``,
      );
    }
    return { action: 'unchanged', id: user.username, notes };
  }
  if (!BCRYPT.test(user.passwordHash)) {
    return skip(user.username, 'the password hash is not a bcrypt hash ($2a$, $2b$ or $2y$)');
  }
  const notes: string[] = [];
  const created = rfc3339(user.createdAt);
  if (created === undefined) notes.push(`created_at "${user.createdAt}" is not RFC 3339; set to now`);
  const updatedAt = new Date(options.now).toISOString();
  return {
    action: 'create',
    id: user.username,
    notes,
    record: {
      id,
      username: user.username,
      // Kept as is: Homeport verifies bcrypt and replaces it with argon2id at the user's next login.
      passwordHash: user.passwordHash,
      role: isAdmin ? 'admin' : 'member',
      status: 'active',
      // Homeport's timestamps are ISO 8601 in UTC; the instant is betterNAS's.
      createdAt: created === undefined ? updatedAt : new Date(created).toISOString(),
      updatedAt,
    },
  };
}

async function planNode(
  node: BetternasNode,
  target: ImportTarget,
  options: PlanOptions,
): Promise<PlanEntry<NodeRecord>> {
  if (!ID_PATTERN.test(node.id)) return skip(node.id, `node id is not ${ID_RULE}`);
  if (node.machineId === '') return skip(node.id, 'the node has no machine id');
  const existing = await target.nodes.byId(node.id);
  if (existing !== undefined) {
    return existing.machineId === node.machineId
      ? { action: 'unchanged', id: node.id, notes: [] }
      : skip(node.id, `node id ${node.id} is used in Homeport by machine ${existing.machineId}`);
  }
  const sameMachine = await target.nodes.byMachineId(node.machineId);
  if (sameMachine !== undefined) {
    return skip(node.id, `machine id ${node.machineId} is registered in Homeport as node ${sameMachine.id}`);
  }
  const notes: string[] = [];
  let tokenHash = '';
  if (node.tokenHash === null) {
    notes.push('no node token in betterNAS: imported with a void token, the agent must re-enrol');
  } else if (!SHA256_HEX.test(node.tokenHash)) {
    notes.push('its token hash is not a hex SHA-256: imported with a void token, the agent must re-enrol');
  } else {
    tokenHash = node.tokenHash.toLowerCase();
  }
  let status: NodeStatus = 'offline';
  if (NODE_STATUSES.includes(node.status))
    status = node.status as NodeStatus; // checked on the line above
  else notes.push(`status "${node.status}" is not online, degraded or offline; imported as offline`);
  let lastSeenAt: number | null = null;
  if (node.lastSeenAt !== null) {
    lastSeenAt = rfc3339(node.lastSeenAt) ?? null;
    if (lastSeenAt === null) notes.push(`last_seen_at "${node.lastSeenAt}" is not RFC 3339; left empty`);
  }
  return {
    action: 'create',
    id: node.id,
    notes,
    record: {
      id: node.id,
      agentKind: 'betternas',
      machineId: node.machineId,
      displayName: node.displayName,
      agentVersion: node.agentVersion,
      reportedStatus: status,
      status,
      lastSeenAt,
      directAddress: node.directAddress,
      relayAddress: node.relayAddress,
      // The same digest betterNAS kept, so the running agent's node token keeps working.
      tokenHash,
      createdAt: new Date(options.now).toISOString(),
      keyId: 1,
      graceFromKeyId: 1,
      graceUntil: null,
      enrolmentHash: null,
      enrolmentExpiresAt: null,
    },
  };
}

async function planExports(
  exports: readonly BetternasExport[],
  nodes: ReadonlyMap<string, PlanEntry<NodeRecord>>,
  target: ImportTarget,
  options: PlanOptions,
): Promise<PlanEntry<ExportRecord>[]> {
  // Homeport holds (node, path) and (node, mount path) unique: betterNAS only the first.
  const taken = new Map<string, string>();
  const claim = (nodeId: string, what: 'path' | 'mount path', value: string, exportId: string) =>
    taken.set(`${nodeId}\0${what}\0${value}`, exportId);
  const holder = (nodeId: string, what: 'path' | 'mount path', value: string) =>
    taken.get(`${nodeId}\0${what}\0${value}`);
  for (const record of await target.exports.list()) {
    claim(record.nodeId, 'path', record.path, record.id);
    claim(record.nodeId, 'mount path', record.mountPath, record.id);
  }

  const entries: PlanEntry<ExportRecord>[] = [];
  for (const item of exports) {
    if (!ID_PATTERN.test(item.id)) {
      entries.push(skip(item.id, `export id is not ${ID_RULE}`));
      continue;
    }
    const node = nodes.get(item.nodeId);
    if (node === undefined) {
      entries.push(skip(item.id, `its node ${item.nodeId} is not in the betterNAS database`));
      continue;
    }
    if (node.action === 'skip') {
      entries.push(skip(item.id, `its node ${item.nodeId} is skipped`));
      continue;
    }
    const existing = await target.exports.byId(item.id);
    if (existing !== undefined) {
      entries.push(
        existing.nodeId === item.nodeId && existing.path === item.path
          ? { action: 'unchanged', id: item.id, notes: [] }
          : skip(
              item.id,
              `export id ${item.id} is used in Homeport by ${existing.path} on node ${existing.nodeId}`,
            ),
      );
      continue;
    }
    const pathHolder = holder(item.nodeId, 'path', item.path);
    const mountPathHolder = holder(item.nodeId, 'mount path', item.mountPath);
    if (pathHolder !== undefined) {
      entries.push(skip(item.id, `export ${pathHolder} of node ${item.nodeId} has the path ${item.path}`));
      continue;
    }
    if (mountPathHolder !== undefined) {
      entries.push(
        skip(
          item.id,
          `export ${mountPathHolder} of node ${item.nodeId} has the mount path ${item.mountPath}`,
        ),
      );
      continue;
    }
    claim(item.nodeId, 'path', item.path, item.id);
    claim(item.nodeId, 'mount path', item.mountPath, item.id);
    entries.push({
      action: 'create',
      id: item.id,
      notes: [],
      record: {
        id: item.id,
        nodeId: item.nodeId,
        label: item.label,
        path: item.path,
        mountPath: item.mountPath,
        protocols: item.protocols,
        capacityBytes: item.capacityBytes,
        freeBytes: null,
        usedBytes: null,
        tags: item.tags,
        createdAt: new Date(options.now).toISOString(),
      },
    });
  }
  return entries;
}

/** Throws unless `--admin` names a user this run creates or created before. */
function checkAdmin(admin: string | undefined, users: readonly PlanEntry<UserRecord>[]): void {
  if (admin === undefined) return;
  const entry = users.find((user) => user.id.toLowerCase() === admin.toLowerCase());
  if (entry === undefined) {
    throw new MigrateError('admin_not_imported', `--admin ${admin}: no betterNAS user has this name`);
  }
  if (entry.action === 'skip') {
    throw new MigrateError('admin_not_imported', `--admin ${admin}: this user is skipped (${entry.reason})`);
  }
}

/**
 * Compares a betterNAS snapshot with Homeport: what to create, what an earlier run imported already, and what
 * to skip with the reason.
 */
export async function planImport(
  snapshot: BetternasSnapshot,
  target: ImportTarget,
  options: PlanOptions,
): Promise<ImportPlan> {
  const seen = new Set<string>();
  const users: PlanEntry<UserRecord>[] = [];
  for (const user of snapshot.users) users.push(await planUser(user, target, seen, options));
  checkAdmin(options.admin, users);
  const nodes = new Map<string, PlanEntry<NodeRecord>>();
  for (const node of snapshot.nodes) nodes.set(node.id, await planNode(node, target, options));
  const exports = await planExports(snapshot.exports, nodes, target, options);
  return { users, nodes: [...nodes.values()], exports, sessionCount: snapshot.sessionCount };
}
