// What a node's status and time mean, which depends on its agent: a Homeport agent heartbeats every 30 s and
// is aged out (online → degraded → offline); a betterNAS agent reports once, at start, and keeps that status.
import type { AgentKind, NasNode, NodeStatus } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import { formatLastSeen } from './storage-format';

/** Why a betterNAS node's status never changes on its own (shown on its card and in its badge's title). */
export const BETTERNAS_LIVENESS_NOTE =
  'betterNAS agents report once, at start; Homeport does not mark them offline by age.';

/** For admins: what revoking means for a betterNAS node (its agent never fetches revocations). */
export const BETTERNAS_CREDENTIALS_NOTE = 'Its mount credentials cannot be revoked before they expire.';

const agentNames: Record<AgentKind, string> = { homeport: 'Homeport agent', betternas: 'betterNAS agent' };

/** "Homeport agent", "betterNAS agent". */
export const agentName = (kind: AgentKind): string => agentNames[kind];

const heartbeatHints: Record<NodeStatus, string> = {
  online: 'Heartbeats arrive on time',
  degraded: 'Heartbeats are late, or the agent reports a problem',
  offline: 'No heartbeat for a while: its exports cannot be mounted now',
};

/** The title of a status badge: what the status rests on for this kind of agent. */
export function statusHint(status: NodeStatus, kind: AgentKind): string {
  if (kind === 'homeport') return heartbeatHints[status];
  const consequence = status === 'offline' ? ': its exports cannot be mounted now' : '';
  return `Reported ${status} by its betterNAS agent${consequence}. ${BETTERNAS_LIVENESS_NOTE}`;
}

export interface NodeLiveness {
  /** The label of the time row: "Last heartbeat" (Homeport) or "Reported" (betterNAS). */
  label: string;
  /** "25 seconds ago", "3 hours ago", "Never". */
  ago: string;
  /** The same moment in full, for the title. */
  at: string;
  /** Shown under the node for betterNAS agents: why its status does not age. */
  note: string | undefined;
}

/** How the node card words the node's time: its last heartbeat, or when a betterNAS agent reported. */
export function describeLiveness(node: Pick<NasNode, 'agentKind' | 'lastSeenAt'>, now: number): NodeLiveness {
  // The server sends '' for a node that never reported.
  const lastSeen = node.lastSeenAt === '' ? null : node.lastSeenAt;
  const ago = formatLastSeen(lastSeen, 'Never', now);
  const at = formatDateTime(lastSeen, 'Never');
  if (node.agentKind === 'homeport') return { label: 'Last heartbeat', ago, at, note: undefined };
  return { label: 'Reported', ago, at, note: BETTERNAS_LIVENESS_NOTE };
}
