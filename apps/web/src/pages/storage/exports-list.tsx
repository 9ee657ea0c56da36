// Exports with their Mount / Share actions: a table from tablet width up, stacked cards on a phone (where a
// sideways-scrolling table would hide the Mount button off screen).
import { Badge, Button, Card, Code, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import type { NasNode, StorageExport } from '../../api/types';
import { NodeStatusBadge } from './node-status-badge';
import { formatBytes } from './storage-format';

export interface ExportsListProps {
  exports: readonly StorageExport[];
  nodes: readonly NasNode[];
  isAdmin: boolean;
  onMount: (item: StorageExport) => void;
  onShare: (item: StorageExport) => void;
  onRevokeCredentials: (item: StorageExport) => void;
}

type RowProps = Omit<ExportsListProps, 'exports' | 'nodes'> & {
  item: StorageExport;
  node: NasNode | undefined;
};

export function ExportsList(props: ExportsListProps) {
  const nodesById = new Map(props.nodes.map((node) => [node.id, node]));
  const rows = props.exports.map((item) => ({ item, node: nodesById.get(item.nasNodeId) }));
  return (
    <>
      <Stack gap="sm" hiddenFrom="sm">
        {rows.map(({ item, node }) => (
          <ExportCard key={item.id} {...props} item={item} node={node} />
        ))}
      </Stack>
      <Table.ScrollContainer minWidth={props.isAdmin ? 900 : 680} visibleFrom="sm">
        <Table verticalSpacing="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Export</Table.Th>
              <Table.Th>Node</Table.Th>
              <Table.Th>Folder on the node</Table.Th>
              <Table.Th>Disk size</Table.Th>
              {!props.isAdmin && <Table.Th>Your access</Table.Th>}
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map(({ item, node }) => (
              <ExportRow key={item.id} {...props} item={item} node={node} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}

function ExportRow(props: RowProps) {
  const { item, node, isAdmin } = props;
  return (
    <Table.Tr>
      <Table.Td>
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {item.label}
          </Text>
          <Tags tags={item.tags} />
        </Stack>
      </Table.Td>
      <Table.Td>
        <NodeName node={node} />
      </Table.Td>
      <Table.Td>
        <Code>{item.path}</Code>
      </Table.Td>
      <Table.Td>
        <Text size="sm" title="Size of the disk that holds the folder">
          {diskSize(item)}
        </Text>
      </Table.Td>
      {!isAdmin && (
        <Table.Td>
          <AccessBadge item={item} />
        </Table.Td>
      )}
      <Table.Td>
        <ExportActions {...props} />
      </Table.Td>
    </Table.Tr>
  );
}

function ExportCard(props: RowProps) {
  const { item, node, isAdmin } = props;
  return (
    <Card withBorder radius="md" padding="md" component="article" aria-label={`Export ${item.label}`}>
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Text fw={600}>{item.label}</Text>
          {!isAdmin && <AccessBadge item={item} />}
        </Group>
        <NodeName node={node} />
        <Text size="sm" c="dimmed">
          <Code>{item.path}</Code> · {diskSize(item)}
        </Text>
        <Tags tags={item.tags} />
        <ExportActions {...props} justify="flex-start" />
      </Stack>
    </Card>
  );
}

function ExportActions({
  item,
  node,
  isAdmin,
  onMount,
  onShare,
  onRevokeCredentials,
  justify = 'flex-end',
}: RowProps & { justify?: 'flex-start' | 'flex-end' }) {
  return (
    <Group gap="xs" justify={justify} wrap="wrap">
      <Button
        size="xs"
        onClick={() => onMount(item)}
        aria-label={`Mount ${item.label}`}
        title={node?.status === 'offline' ? 'The node is offline' : undefined}
      >
        Mount
      </Button>
      {isAdmin && (
        <>
          <Button
            size="xs"
            variant="default"
            onClick={() => onShare(item)}
            aria-label={`Share ${item.label}`}
          >
            Share
          </Button>
          <Button
            size="xs"
            variant="subtle"
            color="red"
            onClick={() => onRevokeCredentials(item)}
            aria-label={`Revoke all mount credentials for ${item.label}`}
          >
            Revoke credentials
          </Button>
        </>
      )}
    </Group>
  );
}

function NodeName({ node }: { node: NasNode | undefined }) {
  if (!node) {
    return (
      <Text size="sm" c="dimmed">
        unknown node
      </Text>
    );
  }
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {node.displayName}
      </Text>
      <NodeStatusBadge status={node.status} size="sm" style={{ flexShrink: 0 }} />
    </Group>
  );
}

function AccessBadge({ item }: { item: StorageExport }) {
  return (
    <Badge variant="light" color={item.access === 'read-only' ? 'gray' : 'blue'}>
      {item.access ?? 'read-write'}
    </Badge>
  );
}

function Tags({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return null;
  return (
    <Group gap={4}>
      {tags.map((tag) => (
        <Badge key={tag} size="xs" variant="outline" color="gray">
          {tag}
        </Badge>
      ))}
    </Group>
  );
}

/** No disk has 0 bytes: a 0 means the agent could not tell (the server stores its null as 0). */
function diskSize(item: StorageExport): string {
  return formatBytes(item.capacityBytes || null, 'size unknown');
}
