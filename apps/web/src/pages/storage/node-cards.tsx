// Storage nodes as cards (one column on a phone): name, live status, last heartbeat, exports; for admins
// also the address and machine id (the server sends members neither).
import { Card, DataList, Group, SimpleGrid, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { NasNode, StorageExport } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import { NodeAdminMenu } from './node-admin-menu';
import { NodeStatusBadge } from './node-status-badge';
import { formatLastSeen } from './storage-format';
import { useNow } from './use-now';

export function NodeCards({
  nodes,
  exports,
  isAdmin,
  onRemoved,
}: {
  nodes: readonly NasNode[];
  exports: readonly StorageExport[];
  isAdmin: boolean;
  onRemoved: () => void;
}) {
  // Ticks often enough for "25 seconds ago" to stay true.
  const now = useNow(5000);
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
      {nodes.map((node) => (
        <NodeCard
          key={node.id}
          node={node}
          exports={exports.filter((item) => item.nasNodeId === node.id)}
          now={now}
          admin={isAdmin ? <NodeAdminMenu node={node} onRemoved={onRemoved} /> : null}
        />
      ))}
    </SimpleGrid>
  );
}

function NodeCard({
  node,
  exports,
  now,
  admin,
}: {
  node: NasNode;
  exports: StorageExport[];
  now: number;
  admin: ReactNode;
}) {
  const lastSeen = node.lastSeenAt === '' ? null : node.lastSeenAt;
  return (
    <Card withBorder radius="md" padding="md" component="article" aria-label={`Node ${node.displayName}`}>
      <Group justify="space-between" wrap="nowrap" gap="xs" mb="sm">
        <Text fw={600} truncate="end" title={node.displayName}>
          {node.displayName}
        </Text>
        <Group gap={4} wrap="nowrap">
          <NodeStatusBadge status={node.status} />
          {admin}
        </Group>
      </Group>
      <DataList size="sm" gap={6} labelWidth={96}>
        <DataList.Item>
          <DataList.ItemLabel>Last seen</DataList.ItemLabel>
          <DataList.ItemValue title={formatDateTime(lastSeen, 'Never')}>
            {formatLastSeen(lastSeen, 'Never', now)}
          </DataList.ItemValue>
        </DataList.Item>
        {admin !== null && (
          <DataList.Item>
            <DataList.ItemLabel>Address</DataList.ItemLabel>
            <DataList.ItemValue>
              <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {node.directAddress ?? node.relayAddress ?? 'none reported'}
              </Text>
            </DataList.ItemValue>
          </DataList.Item>
        )}
        <DataList.Item>
          <DataList.ItemLabel>Exports</DataList.ItemLabel>
          <DataList.ItemValue>
            {exports.length === 0 ? 'none' : exports.map((item) => item.label).join(', ')}
          </DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>Agent</DataList.ItemLabel>
          <DataList.ItemValue>
            <Text size="sm" c="dimmed" truncate="end" title={node.machineId}>
              {node.agentVersion || 'unknown version'}
              {node.machineId === undefined ? '' : ` · ${node.machineId}`}
            </Text>
          </DataList.ItemValue>
        </DataList.Item>
      </DataList>
    </Card>
  );
}
