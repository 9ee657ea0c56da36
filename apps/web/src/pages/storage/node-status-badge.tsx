// A node's status as a coloured dot badge; the same look in the node cards and the exports table.
import { Badge, type BadgeProps } from '@mantine/core';
import type { NodeStatus } from '../../api/types';

const colors: Record<NodeStatus, string> = { online: 'teal', degraded: 'yellow', offline: 'red' };

const hints: Record<NodeStatus, string> = {
  online: 'Heartbeats arrive on time',
  degraded: 'Heartbeats are late, or the agent reports a problem',
  offline: 'No heartbeat for a while: its exports cannot be mounted now',
};

export function NodeStatusBadge({ status, ...props }: { status: NodeStatus } & BadgeProps) {
  return (
    <Badge variant="dot" color={colors[status]} title={hints[status]} {...props}>
      {status}
    </Badge>
  );
}
