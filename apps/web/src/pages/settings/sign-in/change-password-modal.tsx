// "Change password": the signed-in person sets a new password, proving the current one. Their other sessions
// end (this one stays); their API tokens too unless they keep them.
import { Checkbox, Modal, Stack, Text } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useApi } from '../../../api/api-context';
import { ApiError } from '../../../api/api-error';
import { FormActions } from '../../../components/form-actions';
import {
  checkNewPassword,
  hasProblems,
  type NewPasswordErrors,
  NewPasswordFields,
} from '../../../components/new-password-fields';
import { SecretInput } from '../../../components/secret-input';
import { notifySuccess } from '../../../lib/notify';

export interface ChangePasswordModalProps {
  opened: boolean;
  onClose: () => void;
}

export function ChangePasswordModal({ opened, onClose }: ChangePasswordModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Change password" centered>
      {/* Mounted only while open: every opening starts empty, and no password stays in memory after. */}
      <ChangePasswordForm onDone={onClose} />
    </Modal>
  );
}

interface Errors extends NewPasswordErrors {
  current?: string | undefined;
  form?: string | undefined;
}

function ChangePasswordForm({ onDone }: { onDone: () => void }) {
  const api = useApi();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [keepApiTokens, setKeepApiTokens] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [pending, setPending] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: Errors = {
      current: current === '' ? 'Enter your current password' : undefined,
      ...checkNewPassword(password, confirm),
    };
    setErrors(found);
    if (found.current || hasProblems(found)) return;

    setPending(true);
    try {
      await api.auth.changePassword({
        currentPassword: current,
        newPassword: password,
        ...(keepApiTokens ? { keepApiTokens } : {}),
      });
      notifySuccess('Your password was changed; your other sessions were signed out');
      onDone();
    } catch (error) {
      setErrors(placeError(error));
      setPending(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <Text size="sm">
          Your other sessions are signed out; this one stays. Your API tokens end too, unless you keep them.
        </Text>
        <SecretInput
          label="Current password"
          autoComplete="current-password"
          value={current}
          onChange={(event) => setCurrent(event.currentTarget.value)}
          error={errors.current}
          disabled={pending}
          data-autofocus
        />
        <NewPasswordFields
          password={password}
          confirm={confirm}
          onPassword={setPassword}
          onConfirm={setConfirm}
          errors={errors}
          disabled={pending}
        />
        <Checkbox
          label="Keep my API tokens"
          description="Only if you know they were not exposed with the old password"
          checked={keepApiTokens}
          onChange={(event) => setKeepApiTokens(event.currentTarget.checked)}
          disabled={pending}
        />
        {errors.form && (
          <Text c="red" size="sm" role="alert">
            {errors.form}
          </Text>
        )}
        <FormActions submitLabel="Change password" pending={pending} onCancel={onDone} />
      </Stack>
    </form>
  );
}

/** Puts the server's refusal next to the field it is about. */
function placeError(error: unknown): Errors {
  if (!(error instanceof ApiError)) return { form: error instanceof Error ? error.message : String(error) };
  if (error.code === 'wrong_password') return { current: 'That is not your current password' };
  if (error.code === 'invalid_request' && /password/i.test(error.message)) return { password: error.message };
  if (error.code === 'too_many_attempts')
    return { current: `Too many wrong passwords; try again in ${error.retryAfter ?? 60} s` };
  return { form: error.message };
}
