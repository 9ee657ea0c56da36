// The registry webhook: the URL to configure in the registry's notifications and its bearer token (admins
// read it from the server; hidden until asked for, since it lets anyone who has it trigger deploys).
import { Button, Code, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { AsyncContent } from '../../components/async-content';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { useDeployClient } from './api/use-deploy-client';

export function WebhookInfo() {
  const client = useDeployClient();
  const token = useAsyncData(useCallback((signal: AbortSignal) => client.webhookToken({ signal }), [client]));
  const [shown, setShown] = useState(false);
  const url = `${window.location.origin}/api/v1/deploy/webhooks/registry`;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="deploy-webhook">
      <Stack gap="xs">
        <Title order={2} size="h5" id="deploy-webhook">
          Registry webhook
        </Title>
        <Text size="sm" c="dimmed">
          Point your registry’s notifications here; pushes of tags that match a stage with auto-deploy are
          deployed. The registry sends the token as <Code>Authorization: Bearer …</Code>.
        </Text>
        <Group gap="xs" wrap="nowrap" align="baseline">
          <Text size="xs" c="dimmed" miw={44}>
            URL
          </Text>
          <Code style={{ wordBreak: 'break-all' }}>{url}</Code>
        </Group>
        <AsyncContent
          result={token}
          errorTitle="Could not read the webhook token"
          skeleton={<TableSkeleton rows={1} />}
        >
          {(value) => (
            <Group gap="xs" wrap="nowrap" align="baseline">
              <Text size="xs" c="dimmed" miw={44}>
                Token
              </Text>
              <Code data-testid="webhook-token" style={{ wordBreak: 'break-all' }}>
                {shown ? value : '••••••••••••'}
              </Code>
              <Button size="compact-xs" variant="subtle" onClick={() => setShown((v) => !v)}>
                {shown ? 'Hide' : 'Show'}
              </Button>
            </Group>
          )}
        </AsyncContent>
      </Stack>
    </Paper>
  );
}
