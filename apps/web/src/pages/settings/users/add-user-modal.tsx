// "Add user" dialog: an administrator creates an account with a first password and a role.
import { Modal, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useApi } from '../../../api/api-context';
import type { Role, User } from '../../../api/types';
import { validatePassword, validateUsername } from '../../../auth/validation';
import { FormActions } from '../../../components/form-actions';
import { SecretInput } from '../../../components/secret-input';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { type AccountFieldErrors, accountFieldErrors } from './account-errors';

export interface AddUserModalProps {
  opened: boolean;
  onClose: () => void;
  onCreated: (user: User) => void;
}

export function AddUserModal({ opened, onClose, onCreated }: AddUserModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Add user" centered>
      {/* Mounted only while open, so every opening starts from an empty form. */}
      <AddUserForm onCancel={onClose} onCreated={onCreated} />
    </Modal>
  );
}

const roles = [
  { value: 'member', label: 'Member' },
  { value: 'admin', label: 'Admin' },
];

function AddUserForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (user: User) => void }) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<AccountFieldErrors>({});
  const [pending, setPending] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = { username: validateUsername(username), password: validatePassword(password) };
    setErrors(found);
    if (found.username || found.password) return;

    setPending(true);
    try {
      const user = await api.users.create({ username, password, role });
      notifySuccess(`User ${user.username} was added`);
      onCreated(user);
    } catch (error) {
      const fieldErrors = accountFieldErrors(error);
      setErrors(fieldErrors);
      if (fieldErrors.form) notifyFailure('Could not add the user', error);
      setPending(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <TextInput
          label="Username"
          description="3–64 letters, digits, “_” or “-”"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(event) => setUsername(event.currentTarget.value)}
          error={errors.username}
          data-autofocus
        />
        <SecretInput
          label="Password"
          description="At least 8 characters. Pass it on safely; they can change it in Settings → Sign-in."
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={errors.password}
        />
        <NativeSelect
          label="Role"
          data={roles}
          value={role}
          onChange={(event) => setRole(event.currentTarget.value === 'admin' ? 'admin' : 'member')}
        />
        {errors.form && (
          <Text c="red" size="sm" role="alert">
            {errors.form}
          </Text>
        )}
        <FormActions submitLabel="Add user" pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}
