// "Reset password" dialog: an administrator sets a new password for someone else's account.
import { Checkbox, Modal, Stack, Text } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useApi } from '../../../api/api-context';
import type { User } from '../../../api/types';
import { FormActions } from '../../../components/form-actions';
import {
  checkNewPassword,
  hasProblems,
  type NewPasswordErrors,
  NewPasswordFields,
} from '../../../components/new-password-fields';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { accountFieldErrors } from './account-errors';

export interface ResetPasswordModalProps {
  /** The account being reset; the dialog is open while this is set. */
  user: User | null;
  onClose: () => void;
}

export function ResetPasswordModal({ user, onClose }: ResetPasswordModalProps) {
  // Keep showing the last account while the closing animation plays, instead of an empty dialog.
  const [shown, setShown] = useState(user);
  if (user !== null && user !== shown) setShown(user);
  return (
    <Modal opened={user !== null} onClose={onClose} title="Reset password" centered>
      {shown && <ResetPasswordForm key={shown.id} user={shown} onDone={onClose} />}
    </Modal>
  );
}

function ResetPasswordForm({ user, onDone }: { user: User; onDone: () => void }) {
  const api = useApi();
  const [password, setPassword] = useState('');
  const [keepApiTokens, setKeepApiTokens] = useState(false);
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<NewPasswordErrors>({});
  const [pending, setPending] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = checkNewPassword(password, confirm);
    setErrors(found);
    if (hasProblems(found)) return;

    setPending(true);
    try {
      await api.users.update(user.id, { password, ...(keepApiTokens ? { keepApiTokens } : {}) });
      notifySuccess(`Password for ${user.username} was reset`);
      onDone();
    } catch (error) {
      const fieldErrors = accountFieldErrors(error);
      setErrors({ password: fieldErrors.password });
      if (!fieldErrors.password) notifyFailure('Could not reset the password', error);
      setPending(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <Text size="sm">
          Choose a new password for <strong>{user.username}</strong> and pass it on to them safely. This signs
          them out everywhere and ends their API tokens unless you keep them.
        </Text>
        <NewPasswordFields
          password={password}
          confirm={confirm}
          onPassword={setPassword}
          onConfirm={setConfirm}
          errors={errors}
          autoFocus
        />
        <Checkbox
          label="Keep their API tokens"
          description="Only if you know the tokens were not exposed with the old password"
          checked={keepApiTokens}
          onChange={(event) => setKeepApiTokens(event.currentTarget.checked)}
        />
        <FormActions submitLabel="Reset password" pending={pending} onCancel={onDone} />
      </Stack>
    </form>
  );
}
