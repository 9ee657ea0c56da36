// What the Storage page says when there is nothing to list, for admins (how to add storage) and members.
import { Code, EmptyState, Paper, Stack, Text } from '@mantine/core';
import { CopySnippet } from './copy-controls';
import { agentCommand } from './mount-snippets';

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
        <Stack gap="xs" w="100%" maw={720}>
          <CopySnippet
            code={agentCommand(window.location.origin)}
            what="agent command"
            caption="On another machine, with the token from <data-dir>/secrets/node-bootstrap-token on this server (or nas.nodeBootstrapToken when configured):"
          />
          <Text size="xs" c="dimmed">
            The agent serves WebDAV on 127.0.0.1:8090. For other computers to mount from it, put it behind a
            TLS proxy and pass <Code>--advertise-url https://…</Code>, or on a network you trust add{' '}
            <Code>
              --listen 0.0.0.0:8090 --insecure-public --advertise-url http://&lt;its address&gt;:8090
            </Code>
            .
          </Text>
        </Stack>
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
