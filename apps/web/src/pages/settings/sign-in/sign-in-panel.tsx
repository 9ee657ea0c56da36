// Settings → Sign-in: how I sign in (password, provider accounts), "Change password" and "Link <provider>
// account", which is also where the OIDC callback lands after linking (?linked=1 or ?error=<code>).
import { Alert, Badge, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useApi } from '../../../api/api-context';
import type { AuthConfig, MySignIn } from '../../../api/types';
import { AsyncContent } from '../../../components/async-content';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { notifyFailure } from '../../../lib/notify';
import { oidcErrorMessage } from '../../auth/oidc-error-message';
import { ChangePasswordModal } from './change-password-modal';

export default function SignInPanel() {
  const api = useApi();
  const load = useCallback(
    async (signal: AbortSignal): Promise<{ mine: MySignIn; config: AuthConfig }> => {
      const [mine, config] = await Promise.all([api.auth.signIn({ signal }), api.auth.config({ signal })]);
      return { mine, config };
    },
    [api],
  );
  const data = useAsyncData(load);
  const [searchParams] = useSearchParams();
  const error = searchParams.get('error');
  const linked = searchParams.get('linked') === '1';
  const [changing, setChanging] = useState(false);

  return (
    <AsyncContent
      result={data}
      errorTitle="Could not load how you sign in"
      skeleton={<TableSkeleton rows={2} />}
    >
      {({ mine, config }) => {
        const provider = config.oidc?.displayName ?? 'your provider';
        const problem = error ? oidcErrorMessage(error, provider) : null;
        return (
          <Stack gap="md" maw={720}>
            {problem && (
              <Alert color="red" variant="light" title={problem.title} role="alert">
                {problem.message}
              </Alert>
            )}
            {linked && !problem && (
              <Alert color="teal" variant="light" title="Linked">
                You can now sign in with {provider}.
              </Alert>
            )}
            <Card withBorder>
              <Group justify="space-between" wrap="nowrap">
                <div>
                  <Text fw={500}>Password</Text>
                  <Text size="sm" c="dimmed">
                    {mine.password
                      ? 'You can sign in with your username and password.'
                      : 'You have no password; an administrator can set one.'}
                  </Text>
                </div>
                {mine.password ? (
                  <Button variant="default" onClick={() => setChanging(true)}>
                    Change password
                  </Button>
                ) : (
                  <Badge variant="light" color="gray">
                    none
                  </Badge>
                )}
              </Group>
              <ChangePasswordModal opened={changing} onClose={() => setChanging(false)} />
            </Card>
            <Card withBorder>
              <Stack gap="sm">
                <Group justify="space-between" wrap="nowrap">
                  <div>
                    <Text fw={500}>Single sign-on</Text>
                    <Text size="sm" c="dimmed">
                      {config.oidc
                        ? `Accounts at ${provider} that sign you in here.`
                        : 'Sign-in with a provider is not set up on this server.'}
                    </Text>
                  </div>
                  {config.oidc && <LinkButton provider={provider} />}
                </Group>
                {mine.identities.length === 0 ? (
                  <Text size="sm">No provider account is linked.</Text>
                ) : (
                  mine.identities.map((identity) => (
                    <Group key={identity.id} justify="space-between" wrap="nowrap">
                      <div>
                        <Text size="sm" fw={500}>
                          {identity.displayName ?? identity.subject}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {identity.issuer}
                        </Text>
                      </div>
                      <Text size="xs" c="dimmed" title={formatDateTime(identity.lastLoginAt, 'Never')}>
                        last used {formatRelative(identity.lastLoginAt, 'never')}
                      </Text>
                    </Group>
                  ))
                )}
              </Stack>
            </Card>
          </Stack>
        );
      }}
    </AsyncContent>
  );
}

function LinkButton({ provider }: { provider: string }) {
  const api = useApi();
  const [pending, setPending] = useState(false);
  const start = async () => {
    setPending(true);
    try {
      // A POST (refused from other sites) that answers the provider URL; this tab goes there and comes back.
      window.location.assign(await api.auth.startLink());
    } catch (error) {
      notifyFailure(`Could not start linking ${provider}`, error);
      setPending(false);
    }
  };
  return (
    <Button variant="default" onClick={start} loading={pending}>
      Link {provider} account
    </Button>
  );
}
