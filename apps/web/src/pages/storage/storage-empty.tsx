// What the Storage page says when there is nothing to list, for admins (how to add storage) and members.
import { Code, EmptyState, Paper, Stack } from '@mantine/core';
import { AddNodeInstructions } from './add-node';

/** Admins, when no node has registered. */
export function NoNodes() {
  return (
    <Paper withBorder radius="md" p="xl">
      <Stack align="center" gap="lg">
        <EmptyState
          title="No storage yet"
          description={
            <>
              No storage node has registered with this Homeport. The built-in agent exports{' '}
              <Code>&lt;data-dir&gt;/files</Code> once it runs; on other machines, run{' '}
              <Code>homeport agent</Code>.
            </>
          }
        />
        <AddNodeInstructions />
      </Stack>
    </Paper>
  );
}

/** Admins, when nodes have registered but export nothing. */
export function NoExports() {
  return (
    <EmptyState
      title="No exports yet"
      description={
        <>
          The nodes above export no folders. An agent exports the folders given with <Code>--export</Code> (or{' '}
          <Code>HOMEPORT_EXPORTS</Code>); the built-in agent’s default is <Code>&lt;data-dir&gt;/files</Code>.
        </>
      }
      mt="md"
    />
  );
}

/** Members, when nothing is shared with them. */
export function NothingShared() {
  return (
    <Paper withBorder radius="md" p="xl">
      <EmptyState
        title="Nothing is shared with you yet"
        description="When an admin of this Homeport shares a folder with you, it appears here with a Mount button."
      />
    </Paper>
  );
}
