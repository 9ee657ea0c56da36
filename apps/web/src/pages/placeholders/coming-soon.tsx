// Empty state for a section whose features have not shipped yet: says plainly what will live here.
import { EmptyState, List, Paper, Stack, Text } from '@mantine/core';
import { PageHeader } from '../../components/page-header';

export interface ComingSoonProps {
  title: string;
  description: string;
  /** One sentence on what will appear, e.g. "Nodes and exports will appear here…". */
  summary: string;
  /** What the section will let people do, one short line each. */
  planned?: readonly string[];
}

export function ComingSoon({ title, description, summary, planned = [] }: ComingSoonProps) {
  return (
    <>
      <PageHeader title={title} description={description} />
      <Paper withBorder radius="md" p="xl">
        <Stack align="center" gap="lg">
          <EmptyState title="Nothing here yet" description={summary} />
          {planned.length > 0 && (
            <Stack gap={4} maw={520}>
              <Text size="sm" fw={500}>
                Planned for this section
              </Text>
              <List size="sm" c="dimmed">
                {planned.map((item) => (
                  <List.Item key={item}>{item}</List.Item>
                ))}
              </List>
            </Stack>
          )}
        </Stack>
      </Paper>
    </>
  );
}
