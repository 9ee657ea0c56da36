// "Create token" dialog: name and optional lifetime, then the token value shown this one time only.
import { Alert, Button, Checkbox, Group, Modal, NumberInput, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useRef, useState } from 'react';
import { useApi } from '../../../api/api-context';
import { errorMessage } from '../../../api/api-error';
import type { CreatedToken, CreateTokenInput } from '../../../api/types';
import { FormActions } from '../../../components/form-actions';
import { copyText } from '../../../lib/copy-text';
import { notifyFailure, notifySuccess } from '../../../lib/notify';

export interface CreateTokenModalProps {
  opened: boolean;
  onClose: () => void;
  /** Called as soon as the server has made the token, while the value is still on screen. */
  onCreated: (created: CreatedToken) => void;
}

export function CreateTokenModal({ opened, onClose, onCreated }: CreateTokenModalProps) {
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const close = () => {
    onClose();
    setCreated(null);
  };
  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? 'Copy your new token' : 'Create token'}
      centered
      // Clicking outside would throw the only copy of the value away.
      closeOnClickOutside={!created}
    >
      {created ? (
        <TokenValue created={created} onDone={close} />
      ) : (
        <CreateTokenForm
          onCancel={close}
          onCreated={(result) => {
            setCreated(result);
            onCreated(result);
          }}
        />
      )}
    </Modal>
  );
}

function CreateTokenForm({
  onCancel,
  onCreated,
}: {
  onCancel: () => void;
  onCreated: (c: CreatedToken) => void;
}) {
  const api = useApi();
  const [name, setName] = useState('');
  const [days, setDays] = useState<number | string>('');
  const [never, setNever] = useState(false);
  const [nameError, setNameError] = useState<string>();
  const [pending, setPending] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') {
      setNameError('Give the token a name, e.g. the machine or script that will use it');
      return;
    }
    setNameError(undefined);
    const input: CreateTokenInput = { name: trimmed };
    if (never) input.expiresInDays = null;
    else if (typeof days === 'number') input.expiresInDays = days;

    setPending(true);
    try {
      const created = await api.tokens.create(input);
      notifySuccess(`Token ${created.token.name} was created`);
      onCreated(created);
    } catch (error) {
      notifyFailure('Could not create the token', error);
      setNameError(errorMessage(error));
      setPending(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <TextInput
          label="Name"
          description="What will use it, so you know which one to revoke later"
          placeholder="backup script on nas-1"
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={nameError}
          maxLength={100}
          data-autofocus
        />
        <NumberInput
          label="Expires after (days)"
          description="Leave empty for the server's default (90 days unless your admin changed it)"
          min={1}
          max={3650}
          allowDecimal={false}
          allowNegative={false}
          value={days}
          onChange={setDays}
          disabled={never}
        />
        <Checkbox
          label="Never expires"
          description="Only for tokens you will revoke yourself; a password reset ends every token anyway"
          checked={never}
          onChange={(event) => setNever(event.currentTarget.checked)}
        />
        <FormActions submitLabel="Create token" pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

function TokenValue({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (await copyText(created.value, field.current)) {
      setCopied(true);
    } else {
      field.current?.select();
      notifyFailure(
        'Could not copy',
        new Error('The browser refused; the token is selected, copy it by hand.'),
      );
    }
  };
  return (
    <Stack gap="md">
      <Alert color="yellow" variant="light" title="Shown only once">
        Copy this token now and keep it somewhere safe: Homeport will not show it again. If it is lost, revoke
        it and create a new one.
      </Alert>
      <TextInput
        ref={field}
        label="Token"
        value={created.value}
        readOnly
        ff="monospace"
        onFocus={(event) => event.currentTarget.select()}
      />
      <Group justify="space-between" gap="sm">
        <Button color={copied ? 'teal' : 'blue'} onClick={copy}>
          {copied ? 'Copied' : 'Copy token'}
        </Button>
        <Button variant="default" onClick={onDone}>
          Done
        </Button>
      </Group>
    </Stack>
  );
}
