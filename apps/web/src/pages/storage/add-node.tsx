// How an admin adds a storage node: the `homeport agent` command with the bootstrap token, as a button
// that opens it once nodes exist, and as the body of the empty state before the first one.
import { Button, Code, Modal, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useState } from 'react';
import { CopySnippet } from './copy-controls';
import { agentCommand } from './mount-snippets';

export function AddNodeInstructions() {
  return (
    <Stack gap="xs" w="100%" maw={720}>
      <CopySnippet
        code={agentCommand(window.location.origin)}
        what="agent command"
        caption="On another machine, with the token from <data-dir>/secrets/node-bootstrap-token on this server (or nas.nodeBootstrapToken when configured):"
      />
      <Text size="xs" c="dimmed">
        The agent serves WebDAV on 127.0.0.1:8090. For other computers to mount from it, put it behind a TLS
        proxy and pass <Code>--advertise-url https://…</Code>, or on a network you trust add{' '}
        <Code>--listen 0.0.0.0:8090 --insecure-public --advertise-url http://&lt;its address&gt;:8090</Code>.
        The node appears here once its agent has registered.
      </Text>
    </Stack>
  );
}

/** "Add node" for admins, beside the node list. */
export function AddNodeButton() {
  const [opened, setOpened] = useState(false);
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <>
      <Button size="xs" variant="light" onClick={() => setOpened(true)}>
        Add node
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title="Add a storage node"
        size="lg"
        fullScreen={phone}
      >
        <Stack gap="md">
          <Text size="sm">
            Run <Code>homeport agent</Code> on each machine whose folders you want to share. It registers with
            this Homeport using the node bootstrap token.
          </Text>
          <AddNodeInstructions />
        </Stack>
      </Modal>
    </>
  );
}
