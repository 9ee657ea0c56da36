// The foot of a form: Cancel and the submit button (spinning while the request is out), right-aligned.
import { Button, Group } from '@mantine/core';

export interface FormActionsProps {
  submitLabel: string;
  pending: boolean;
  onCancel: () => void;
  /** E.g. nothing changed yet on a settings panel (Cancel there puts back what is saved). */
  submitDisabled?: boolean;
}

export function FormActions({ submitLabel, pending, onCancel, submitDisabled = false }: FormActionsProps) {
  return (
    <Group justify="flex-end" gap="sm">
      <Button variant="default" onClick={onCancel} disabled={pending}>
        Cancel
      </Button>
      <Button type="submit" loading={pending} disabled={submitDisabled}>
        {submitLabel}
      </Button>
    </Group>
  );
}
