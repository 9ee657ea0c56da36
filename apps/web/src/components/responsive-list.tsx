// The list panels' one list: a table from the `sm` breakpoint up, stacked cards on a phone (where a
// sideways-scrolling table would cut the badges and push the actions off screen), and the empty state.
import { Card, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';

export interface ListColumn<T> {
  /** The table's column header; the label in front of the value on a phone card. */
  header: string;
  cell: (item: T) => ReactNode;
  /**
   * Where the value goes on a phone card: `title` joins the heading line (name and badges), `line` is a
   * labelled line (the default), `hidden` leaves it out (detail a phone can do without).
   */
  phone?: 'title' | 'line' | 'hidden';
}

export interface ResponsiveListProps<T> {
  items: readonly T[];
  itemKey: (item: T) => string;
  /** How a card is announced, e.g. `Token ci`. */
  itemLabel: (item: T) => string;
  columns: readonly ListColumn<T>[];
  /** Buttons or a menu for one item: the last table column, the foot of a card. */
  actions?: (item: T) => ReactNode;
  /** Shown instead of the list when there are no items. */
  empty?: ReactNode;
  /** Below this width the desktop table scrolls sideways. @default 640 */
  minTableWidth?: number;
}

/**
 * @example
 * <ResponsiveList items={tokens} itemKey={(t) => t.id} itemLabel={(t) => `Token ${t.name}`}
 *   columns={[{ header: 'Name', cell: (t) => t.name, phone: 'title' }]}
 *   actions={(t) => <Button onClick={() => revoke.ask(t)}>Revoke</Button>} empty={<EmptyList … />} />
 */
export function ResponsiveList<T>({
  items,
  itemKey,
  itemLabel,
  columns,
  actions,
  empty,
  minTableWidth = 640,
}: ResponsiveListProps<T>) {
  if (items.length === 0 && empty !== undefined) return empty;
  const titles = columns.filter((column) => column.phone === 'title');
  const lines = columns.filter((column) => (column.phone ?? 'line') === 'line');
  return (
    <>
      <Stack gap="sm" hiddenFrom="sm">
        {items.map((item) => (
          <Card
            key={itemKey(item)}
            withBorder
            radius="md"
            padding="md"
            component="article"
            aria-label={itemLabel(item)}
          >
            <Stack gap="xs">
              <Group gap="xs" wrap="wrap">
                {titles.map((column) => (
                  <Group key={column.header} gap="xs" wrap="wrap">
                    {column.cell(item)}
                  </Group>
                ))}
              </Group>
              {lines.map((column) => (
                <Group key={column.header} gap="xs" wrap="nowrap" align="baseline">
                  <Text size="xs" c="dimmed" miw={84} style={{ flexShrink: 0 }}>
                    {column.header}
                  </Text>
                  <div style={{ minWidth: 0 }}>{column.cell(item)}</div>
                </Group>
              ))}
              {actions && (
                <Group gap="xs" wrap="wrap">
                  {actions(item)}
                </Group>
              )}
            </Stack>
          </Card>
        ))}
      </Stack>
      <Table.ScrollContainer minWidth={minTableWidth} visibleFrom="sm">
        <Table verticalSpacing="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => (
                <Table.Th key={column.header}>{column.header}</Table.Th>
              ))}
              {actions && (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((item) => (
              <Table.Tr key={itemKey(item)}>
                {columns.map((column) => (
                  <Table.Td key={column.header}>{column.cell(item)}</Table.Td>
                ))}
                {actions && (
                  <Table.Td>
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      {actions(item)}
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
