// Asks for a name (a new folder, or renaming an entry), checked as the node would before it is sent.
import { Modal, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { FormActions } from '../../components/form-actions';
import { checkName } from './file-paths';

export interface NameModalProps {
  opened: boolean;
  title: string;
  submitLabel: string;
  initial: string;
  /** Resolve to close; reject to stay open (the caller reports why). */
  onSubmit: (name: string) => Promise<void>;
  onClose: () => void;
}

export function NameModal(props: NameModalProps) {
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} centered>
      {/* Keyed so each opening starts from its own initial name. */}
      {props.opened && <NameForm key={props.initial} {...props} />}
    </Modal>
  );
}

function NameForm({ submitLabel, initial, onSubmit, onClose }: NameModalProps) {
  const [name, setName] = useState(initial);
  const [touched, setTouched] = useState(false);
  const [pending, setPending] = useState(false);
  const problem = checkName(name);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    if (problem) return;
    setPending(true);
    try {
      await onSubmit(name);
      onClose();
    } catch {
      // Reported by the caller; the dialog stays open to try another name.
    } finally {
      setPending(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <TextInput
          label="Name"
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={touched ? problem : null}
          data-autofocus
          onFocus={(event) => {
            // Select the name without its extension, as file managers do.
            const dot = event.currentTarget.value.lastIndexOf('.');
            event.currentTarget.setSelectionRange(0, dot > 0 ? dot : event.currentTarget.value.length);
          }}
        />
        <FormActions submitLabel={submitLabel} pending={pending} onCancel={onClose} />
      </Stack>
    </form>
  );
}
