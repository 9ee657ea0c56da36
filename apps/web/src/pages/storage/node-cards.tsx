// Storage nodes as cards (one column on a phone): name, which agent it runs, live status with the time it rests
// on (last heartbeat, or a betterNAS agent's one report), exports; for admins also the address and machine id
// (the server sends members neither).
import { Badge, Card, DataList, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { NasNode, StorageExport } from '../../api/types';
import { ManagedExports } from './managed-exports';
import { NodeAdminMenu } from './node-admin-menu';
import { agentName, BETTERNAS_CREDENTIALS_NOTE, describeLiveness } from './node-liveness';
import { NodeStatusBadge } from './node-status-badge';
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
      {nodes.map((node) => {
        const own = exports.filter((item) => item.nasNodeId === node.id);
        return (
          <NodeCard
            key={node.id}
            node={node}
            exports={own}
            now={now}
            admin={isAdmin ? <NodeAdminMenu node={node} onRemoved={onRemoved} /> : null}
            // A betterNAS agent takes no exports from the control plane.
            folders={
              isAdmin && node.agentKind === 'homeport' ? <ManagedExports node={node} exports={own} /> : null
            }
          />
        );
      })}
    </SimpleGrid>
  );
}

function NodeCard({
  node,
  exports,
  now,
  admin,
  folders,
}: {
  node: NasNode;
  exports: StorageExport[];
  now: number;
  admin: ReactNode;
  folders: ReactNode;
}) {
  const liveness = describeLiveness(node, now);
  const betternas = node.agentKind === 'betternas';
  return (
    <Card withBorder radius="md" padding="md" component="article" aria-label={`Node ${node.displayName}`}>
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs" mb="sm">
        <Stack gap={4} miw={0}>
          <Text fw={600} truncate="end" title={node.displayName}>
            {node.displayName}
          </Text>
          {/* Homeport's own agent is the usual case and needs no mark; the other kind behaves differently. */}
          {betternas && (
            <Badge size="xs" variant="light" color="grape" tt="none" style={{ alignSelf: 'flex-start' }}>
              betterNAS agent
            </Badge>
          )}
        </Stack>
        <Group gap={4} wrap="nowrap">
          <NodeStatusBadge status={node.status} agentKind={node.agentKind} />
          {admin}
        </Group>
      </Group>
      <DataList size="sm" gap={6} labelWidth={104}>
        <DataList.Item>
          <DataList.ItemLabel>{liveness.label}</DataList.ItemLabel>
          <DataList.ItemValue title={liveness.at}>{liveness.ago}</DataList.ItemValue>
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
          {/* A flex item: without a zero minimum width it grows past the card instead of truncating. */}
          <DataList.ItemValue miw={0}>
            <Text size="sm" c="dimmed" truncate="end" title={node.machineId}>
              {agentName(node.agentKind)} {node.agentVersion || '(unknown version)'}
              {node.machineId === undefined ? '' : ` · ${node.machineId}`}
            </Text>
          </DataList.ItemValue>
        </DataList.Item>
      </DataList>
      {liveness.note && (
        <Text size="xs" c="dimmed" mt="sm">
          {liveness.note}
          {admin !== null && ` ${BETTERNAS_CREDENTIALS_NOTE}`}
        </Text>
      )}
      {folders}
    </Card>
  );
}
