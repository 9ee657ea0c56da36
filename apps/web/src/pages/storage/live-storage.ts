// Live storage events (`nas.nodes`, `nas.exports`; `nas.shares.<userId>` and `nas.shared` for members): their
// payloads checked, and node status applied in place.
import type { NasNode, NodeStatus } from '../../api/types';

/** Admins follow every node and export; a member only hears that their own view changed. */
export const STORAGE_TOPICS = ['nas.nodes', 'nas.exports'] as const;
export const memberStorageTopic = (userId: string) => `nas.shares.${userId}`;
/**
 * "Exports changed" for every member while the default access is not `none`: exports nobody shared with
 * them are in their view then, and those changes reach no member's own topic.
 */
export const SHARED_STORAGE_TOPIC = 'nas.shared';

/** What a member subscribes to: their own shares, and the exports every member sees by default. */
export const memberStorageTopics = (userId: string): readonly string[] => [
  memberStorageTopic(userId),
  SHARED_STORAGE_TOPIC,
];
export const STORAGE_EVENT_TYPES = [
  'node.status',
  'node.removed',
  'exports.synced',
  'exports.space',
  'shares.changed',
] as const;

export interface NodeStatusChange {
  nodeId: string;
  status: NodeStatus;
  lastSeenAt: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const statuses: readonly string[] = ['online', 'degraded', 'offline'] satisfies NodeStatus[];

/** `node.status` data, or undefined when the payload is not the shape the server sends. */
export function parseNodeStatusChange(data: unknown): NodeStatusChange | undefined {
  if (!isRecord(data)) return undefined;
  const { nodeId, status, lastSeenAt } = data;
  if (typeof nodeId !== 'string' || typeof status !== 'string' || typeof lastSeenAt !== 'string') {
    return undefined;
  }
  if (!statuses.includes(status)) return undefined;
  // cast: checked against the list of statuses just above
  return { nodeId, status: status as NodeStatus, lastSeenAt };
}

/** The node id of an `exports.synced` payload. */
export function parseExportsSynced(data: unknown): { nodeId: string } | undefined {
  if (!isRecord(data) || typeof data.nodeId !== 'string') return undefined;
  return { nodeId: data.nodeId };
}

/**
 * The list with one node's status replaced; the same array when the node is not in it, so the caller
 * can tell that it should reload instead (a node that registered after the list was loaded).
 */
export function applyNodeStatus(nodes: readonly NasNode[], change: NodeStatusChange): readonly NasNode[] {
  if (!nodes.some((node) => node.id === change.nodeId)) return nodes;
  return nodes.map((node) =>
    node.id === change.nodeId ? { ...node, status: change.status, lastSeenAt: change.lastSeenAt } : node,
  );
}
