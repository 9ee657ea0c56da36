// A node's status as a coloured dot badge; the same look in the node cards and the exports table. Its title
// says what the status rests on: heartbeats for a Homeport agent, the one report of a betterNAS agent.
import { Badge, type BadgeProps } from '@mantine/core';
import type { AgentKind, NodeStatus } from '../../api/types';
import { statusHint } from './node-liveness';

const colors: Record<NodeStatus, string> = { online: 'teal', degraded: 'yellow', offline: 'red' };

export function NodeStatusBadge({
  status,
  agentKind,
  ...props
}: { status: NodeStatus; agentKind: AgentKind } & BadgeProps) {
  return (
    <Badge variant="dot" color={colors[status]} title={statusHint(status, agentKind)} {...props}>
      {status}
    </Badge>
  );
}
