// The foot of a dialog's form: Cancel and the submit button (spinning while the request is out), right-aligned.
import { Button, Group } from '@mantine/core';

export interface FormActionsProps {
  submitLabel: string;
  pending: boolean;
  onCancel: () => void;
}

export function FormActions({ submitLabel, pending, onCancel }: FormActionsProps) {
  return (
    <Group justify="flex-end" gap="sm">
      <Button variant="default" onClick={onCancel} disabled={pending}>
        Cancel
      </Button>
      <Button type="submit" loading={pending}>
        {submitLabel}
      </Button>
    </Group>
  );
}
