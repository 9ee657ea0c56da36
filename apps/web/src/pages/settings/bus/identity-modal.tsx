// The dialog that adds an identity: an admin's "Add identity" (with a role) and everyone's "Register a
// device" (always a member identity, owned by the signed-in account).
import { Modal, NativeSelect, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { FormActions } from '../../../components/form-actions';
import {
  checkIdentity,
  EMPTY_IDENTITY,
  hasErrors,
  type IdentityErrors,
  type IdentityForm,
  identityErrorsFrom,
  MAX_HANDLE,
  normaliseKey,
} from './identity-form';

export interface IdentityModalProps {
  title: string;
  submitLabel: string;
  /** Ask for the role (admins adding to the allowlist); a device is always a member. */
  withRole: boolean;
  opened: boolean;
  onClose: () => void;
  /** Rejects with the server's refusal, shown in the form. */
  onSubmit: (identity: IdentityForm) => Promise<void>;
}

export function IdentityModal({ title, opened, onClose, ...form }: IdentityModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size="lg">
      {/* Mounted only while open, so every opening starts from an empty form. */}
      <IdentityFormFields {...form} onCancel={onClose} />
    </Modal>
  );
}

const roles = [
  { value: 'member', label: 'Member' },
  { value: 'admin', label: 'Admin (may manage the allowlist)' },
];

function IdentityFormFields({
  submitLabel,
  withRole,
  onSubmit,
  onCancel,
}: Pick<IdentityModalProps, 'submitLabel' | 'withRole' | 'onSubmit'> & { onCancel: () => void }) {
  const [form, setForm] = useState<IdentityForm>(EMPTY_IDENTITY);
  const [errors, setErrors] = useState<IdentityErrors>({});
  const [pending, setPending] = useState(false);
  const set = (patch: Partial<IdentityForm>) => setForm((current) => ({ ...current, ...patch }));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = checkIdentity(form);
    setErrors(found);
    if (hasErrors(found)) return;
    setPending(true);
    try {
      await onSubmit({
        signPub: normaliseKey(form.signPub),
        kexPub: normaliseKey(form.kexPub),
        handle: form.handle.trim(),
        role: withRole ? form.role : 'member',
      });
    } catch (error) {
      setErrors(identityErrorsFrom(error));
      setPending(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          Only public keys go here. Make an identity on the device with{' '}
          <code>homeport bus identity new &lt;file&gt;</code>: it prints both keys and keeps the private ones
          in that file.
        </Text>
        <Textarea
          label="Signing key (sign-pub)"
          description="64 hexadecimal characters"
          autosize
          minRows={1}
          spellCheck={false}
          autoCapitalize="none"
          autoComplete="off"
          ff="monospace"
          value={form.signPub}
          onChange={(event) => set({ signPub: event.currentTarget.value })}
          error={errors.signPub}
          disabled={pending}
          data-autofocus
        />
        <Textarea
          label="Key-agreement key (kex-pub)"
          description="64 hexadecimal characters; room keys are sealed to it"
          autosize
          minRows={1}
          spellCheck={false}
          autoCapitalize="none"
          autoComplete="off"
          ff="monospace"
          value={form.kexPub}
          onChange={(event) => set({ kexPub: event.currentTarget.value })}
          error={errors.kexPub}
          disabled={pending}
        />
        <TextInput
          label="Handle"
          description="The name people see on its messages"
          maxLength={MAX_HANDLE + 20}
          value={form.handle}
          onChange={(event) => set({ handle: event.currentTarget.value })}
          error={errors.handle}
          disabled={pending}
        />
        {withRole && (
          <NativeSelect
            label="Role"
            data={roles}
            value={form.role}
            onChange={(event) => set({ role: event.currentTarget.value === 'admin' ? 'admin' : 'member' })}
            disabled={pending}
          />
        )}
        {errors.form && (
          <Text c="red" size="sm" role="alert">
            {errors.form}
          </Text>
        )}
        <FormActions submitLabel={submitLabel} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}
