// Exports with their Browse / Mount / Share actions, through the shared responsive list: a table from tablet width
// up, stacked cards on a phone (where a sideways-scrolling table would hide the Mount button off screen).
// Members see no folder paths (the server does not send them).
import { Badge, Button, Code, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { NasNode, StorageExport } from '../../api/types';
import { type ListColumn, ResponsiveList } from '../../components/responsive-list';
import { filesPageUrl } from '../files/file-paths';
import { NodeStatusBadge } from './node-status-badge';
import { SpaceMeter } from './space-meter';

export interface ExportsListProps {
  exports: readonly StorageExport[];
  nodes: readonly NasNode[];
  isAdmin: boolean;
  onMount: (item: StorageExport) => void;
  onShare: (item: StorageExport) => void;
  onRevokeCredentials: (item: StorageExport) => void;
}

interface Row {
  item: StorageExport;
  node: NasNode | undefined;
}

export function ExportsList({
  exports,
  nodes,
  isAdmin,
  onMount,
  onShare,
  onRevokeCredentials,
}: ExportsListProps) {
  const nodesById = new Map(nodes.map((node) => [node.id, node]));
  const rows: Row[] = exports.map((item) => ({ item, node: nodesById.get(item.nasNodeId) }));
  const columns: ListColumn<Row>[] = [
    {
      header: 'Export',
      phone: 'title',
      cell: ({ item }) => (
        <>
          <Text size="sm" fw={600}>
            {item.label}
          </Text>
          {/* A member's access; admins may do anything with every export. */}
          {!isAdmin && <AccessBadge item={item} />}
          {item.tags.map((tag) => (
            <Badge key={tag} size="xs" variant="outline" color="gray">
              {tag}
            </Badge>
          ))}
        </>
      ),
    },
    { header: 'Node', cell: ({ node }) => <NodeName node={node} /> },
    ...(isAdmin
      ? [
          {
            header: 'Folder on the node',
            cell: ({ item }: Row) => <Code style={{ wordBreak: 'break-all' }}>{item.path ?? '—'}</Code>,
          },
        ]
      : []),
    { header: 'Space', cell: ({ item }) => <SpaceMeter item={item} /> },
  ];
  return (
    <ResponsiveList
      items={rows}
      itemKey={({ item }) => item.id}
      itemLabel={({ item }) => `Export ${item.label}`}
      columns={columns}
      minTableWidth={isAdmin ? 900 : 640}
      actions={({ item, node }) => (
        <>
          <Button
            size="xs"
            variant="default"
            component={Link}
            to={filesPageUrl(item.id, '/')}
            aria-label={`Browse ${item.label}`}
          >
            Browse
          </Button>
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
        </>
      )}
    />
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
      <NodeStatusBadge status={node.status} agentKind={node.agentKind} size="sm" style={{ flexShrink: 0 }} />
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
