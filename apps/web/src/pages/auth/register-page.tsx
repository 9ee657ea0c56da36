// /register: self-service account creation, offered only when the server has registration turned on.
import { Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, Navigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/api-error';
import { useAuth } from '../../auth/auth-context';
import { validateUsername } from '../../auth/validation';
import { ErrorState } from '../../components/error-state';
import { FullPageLoader } from '../../components/full-page-loader';
import { checkNewPassword, NewPasswordFields } from '../../components/new-password-fields';
import { AuthCard } from './auth-card';
import { useAuthConfig } from './use-auth-config';

interface FieldErrors {
  username?: string | undefined;
  password?: string | undefined;
  confirm?: string | undefined;
  form?: string | undefined;
}

export function RegisterPage() {
  const { state, register } = useAuth();
  const config = useAuthConfig();

  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});

  if (state.status === 'signed-in') return <Navigate to="/storage" replace />;
  if (!config.data) {
    if (config.error !== undefined && !config.loading) {
      return (
        <ErrorState
          title="Could not load sign-in options"
          error={config.error}
          onRetry={config.reload}
          fullPage
        />
      );
    }
    return <FullPageLoader />;
  }
  if (!config.data.registrationEnabled) {
    return (
      <AuthCard title="Registration is closed">
        <Text size="sm">This server does not accept new accounts. Ask an administrator to add you.</Text>
        <Anchor component={Link} to="/login" size="sm">
          Back to sign in
        </Anchor>
      </AuthCard>
    );
  }

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: FieldErrors = {
      username: validateUsername(username),
      ...checkNewPassword(password, confirm),
    };
    setErrors(found);
    if (found.username || found.password || found.confirm) return;

    setSubmitting(true);
    try {
      await register({ username, password });
    } catch (failure) {
      setErrors(serverErrors(failure));
      setSubmitting(false);
    }
  };

  return (
    <AuthCard title="Create account" subtitle="Choose a username and a password of at least 8 characters.">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <TextInput
            label="Username"
            name="username"
            description="3–64 letters, digits, “_” or “-”"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(event) => setUsername(event.currentTarget.value)}
            error={errors.username}
            disabled={submitting}
          />
          <NewPasswordFields
            password={password}
            confirm={confirm}
            onPassword={setPassword}
            onConfirm={setConfirm}
            errors={errors}
            description={null}
            disabled={submitting}
            labels={{ password: 'Password', confirm: 'Confirm password' }}
          />
          {errors.form && (
            <Text c="red" size="sm" role="alert">
              {errors.form}
            </Text>
          )}
          <Button type="submit" loading={submitting} fullWidth>
            Create account
          </Button>
        </Stack>
      </form>
      <Text size="sm" ta="center">
        Already have an account?{' '}
        <Anchor component={Link} to="/login">
          Sign in
        </Anchor>
      </Text>
    </AuthCard>
  );
}

/** Puts a server refusal next to the field it is about, where that is clear. */
function serverErrors(error: unknown): FieldErrors {
  if (!(error instanceof ApiError)) return { form: errorMessage(error) };
  switch (error.code) {
    case 'username_taken':
      return { username: 'That username is already taken' };
    case 'registration_disabled':
      return { form: 'Registration has been turned off on this server.' };
    case 'invalid_request': {
      // The server's message names the field; attach it there when it clearly does.
      const text = error.message.toLowerCase();
      if (text.includes('username')) return { username: error.message };
      if (text.includes('password')) return { password: error.message };
      return { form: error.message };
    }
    default:
      return { form: error.message };
  }
}
