// /login: username and password sign-in, plus the OIDC button and the link to registration when enabled.
import { Alert, Anchor, Button, Divider, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useLocation, useSearchParams } from 'react-router';
import { useAuth } from '../../auth/auth-context';
import { readLoginLocationState } from '../../auth/login-location-state';
import { ErrorState } from '../../components/error-state';
import { SecretInput } from '../../components/secret-input';
import { AuthCard } from './auth-card';
import { LoginError, type LoginFailure } from './login-error';
import { oidcErrorMessage } from './oidc-error-message';
import { useAuthConfig } from './use-auth-config';

const reasonMessages = {
  expired: 'Your session has ended. Sign in again to continue.',
  revoked: 'The session on this device was revoked.',
  'logged-out': 'You have signed out.',
} as const;

export function LoginPage() {
  const { state, login } = useAuth();
  const location = useLocation();
  const { from, reason } = readLoginLocationState(location.state);
  const config = useAuthConfig();
  // Set by the OIDC callback when it refused a sign-in (see oidc-error-message.ts).
  const [searchParams] = useSearchParams();
  const callbackError = searchParams.get('error');

  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<LoginFailure>();

  // Signing in flips the auth state, and this redirect takes the person where they were going.
  if (state.status === 'signed-in') return <Navigate to={from ?? '/storage'} replace />;

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (username.trim() === '' || password === '') {
      setFailure({ error: new Error('Enter your username and password'), at: Date.now() });
      return;
    }
    setSubmitting(true);
    setFailure(undefined);
    try {
      await login({ username: username.trim(), password });
    } catch (error) {
      setFailure({ error, at: Date.now() });
      setSubmitting(false);
    }
  };

  // Until the options arrive, assume the usual case (local login on) so the form is usable at once.
  const localLoginEnabled = config.data?.localLoginEnabled ?? true;
  const oidc = config.data?.oidc ?? null;
  const oidcHref = oidc
    ? from
      ? `${oidc.loginUrl}?returnTo=${encodeURIComponent(from)}`
      : oidc.loginUrl
    : '';
  const oidcProblem = callbackError
    ? oidcErrorMessage(callbackError, oidc?.displayName ?? 'single sign-on')
    : null;

  return (
    <AuthCard title="Sign in">
      {oidcProblem && !failure && (
        <Alert color="red" variant="light" title={oidcProblem.title} role="alert">
          {oidcProblem.message}
        </Alert>
      )}
      {reason && !failure && !oidcProblem && (
        <Alert color={reason === 'expired' ? 'yellow' : 'blue'} variant="light">
          {reasonMessages[reason]}
        </Alert>
      )}
      {config.error !== undefined && !config.data && (
        <ErrorState
          title="Could not load sign-in options"
          error={config.error}
          onRetry={config.reload}
          retrying={config.loading}
        />
      )}

      {oidc && (
        <Button component="a" href={oidcHref} variant="default" fullWidth>
          Sign in with {oidc.displayName}
        </Button>
      )}
      {oidc && localLoginEnabled && <Divider label="or" labelPosition="center" />}

      {localLoginEnabled ? (
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <TextInput
              label="Username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={username}
              onChange={(event) => setUsername(event.currentTarget.value)}
              disabled={submitting}
              data-autofocus
            />
            <SecretInput
              label="Password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
              disabled={submitting}
            />
            {failure && <LoginError failure={failure} />}
            <Button type="submit" loading={submitting} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      ) : (
        !config.loading &&
        !oidc && (
          <Text c="dimmed" size="sm">
            Password sign-in is turned off on this server and no other sign-in method is set up.
          </Text>
        )
      )}

      {config.loading && !config.data && <Skeleton height={16} width="50%" />}
      {config.data?.registrationEnabled && (
        <Text size="sm" ta="center">
          No account yet?{' '}
          <Anchor component={Link} to="/register">
            Create one
          </Anchor>
        </Text>
      )}
    </AuthCard>
  );
}
