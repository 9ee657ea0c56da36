// A folder's entries: a table with sortable columns from tablet width up, a compact list with a sort menu on
// a phone. Folders open on click, files preview; each row's actions sit in its menu. A huge folder renders
// in pages of rows (the listing itself is already in memory).
import {
  Anchor,
  Button,
  Card,
  Group,
  NativeSelect,
  Stack,
  Table,
  Text,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { formatDateTime } from '../../lib/format';
import { formatBytes } from '../storage/storage-format';
import type { FileEntry } from './files-types';
import { kindLabel, nextSort, type SortKey, type SortOrder } from './sort-filter';

const PAGE = 500;

export interface FileTableProps {
  entries: readonly FileEntry[];
  sort: SortOrder;
  onSort: (order: SortOrder) => void;
  /** A folder opens, a file previews. */
  onOpen: (entry: FileEntry) => void;
  actions: (entry: FileEntry) => ReactNode;
}

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'size', label: 'Size' },
  { key: 'modified', label: 'Modified' },
  { key: 'kind', label: 'Kind' },
];

export function FileTable({ entries, sort, onSort, onOpen, actions }: FileTableProps) {
  const [shown, setShown] = useState(PAGE);
  const visible = entries.slice(0, shown);
  const more = entries.length - visible.length;
  const name = (entry: FileEntry) => (
    <Anchor
      component="button"
      type="button"
      onClick={() => onOpen(entry)}
      fw={entry.kind === 'folder' ? 600 : 400}
      size="sm"
      ta="left"
      style={{ wordBreak: 'break-word' }}
    >
      {entry.kind === 'folder' ? `${entry.name}/` : entry.name}
    </Anchor>
  );
  return (
    <Stack gap="sm">
      <Stack gap="xs" hiddenFrom="sm">
        <NativeSelect
          size="xs"
          label="Sort by"
          value={`${sort.key}:${sort.direction}`}
          data={COLUMNS.flatMap((column) => [
            { value: `${column.key}:asc`, label: `${column.label} ↑` },
            { value: `${column.key}:desc`, label: `${column.label} ↓` },
          ])}
          onChange={(event) => {
            const [key, direction] = event.currentTarget.value.split(':');
            const column = COLUMNS.find((candidate) => candidate.key === key);
            if (column && (direction === 'asc' || direction === 'desc'))
              onSort({ key: column.key, direction });
          }}
        />
        {visible.map((entry) => (
          <Card
            key={entry.name}
            withBorder
            padding="xs"
            radius="md"
            component="article"
            aria-label={entry.name}
          >
            <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start">
              <Stack gap={2} style={{ minWidth: 0 }}>
                {name(entry)}
                <Text size="xs" c="dimmed">
                  {entry.kind === 'folder' ? 'Folder' : formatBytes(entry.size)} ·{' '}
                  {formatDateTime(entry.modified)}
                </Text>
              </Stack>
              <Group gap={4} wrap="nowrap">
                {actions(entry)}
              </Group>
            </Group>
          </Card>
        ))}
      </Stack>
      <Table.ScrollContainer minWidth={640} visibleFrom="sm">
        <Table verticalSpacing="xs" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              {COLUMNS.map((column) => (
                <Table.Th
                  key={column.key}
                  aria-sort={
                    sort.key === column.key
                      ? sort.direction === 'asc'
                        ? 'ascending'
                        : 'descending'
                      : undefined
                  }
                >
                  <UnstyledButton onClick={() => onSort(nextSort(sort, column.key))} fw={600} fz="sm">
                    {column.label}
                    {sort.key === column.key ? (sort.direction === 'asc' ? ' ↑' : ' ↓') : ''}
                  </UnstyledButton>
                </Table.Th>
              ))}
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {visible.map((entry) => (
              <Table.Tr key={entry.name} data-entry={entry.name}>
                <Table.Td>{name(entry)}</Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                    {entry.kind === 'folder' ? '—' : formatBytes(entry.size)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                    {formatDateTime(entry.modified)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{kindLabel(entry)}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    {actions(entry)}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {more > 0 && (
        <Button variant="default" onClick={() => setShown((count) => count + PAGE)}>
          Show {Math.min(PAGE, more)} more of {more}
        </Button>
      )}
    </Stack>
  );
}
