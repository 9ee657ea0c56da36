// "Are you sure?" dialog for destructive actions; stays open with a spinner until the action settles.
import { Button, Group, Modal, Stack } from '@mantine/core';
import { type ReactNode, useState } from 'react';

export interface ConfirmModalProps {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** Resolve to close the dialog; reject to keep it open (the caller reports the failure). */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

export function ConfirmModal({
  opened,
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: ConfirmModalProps) {
  const [pending, setPending] = useState(false);

  const confirm = async () => {
    setPending(true);
    try {
      await onConfirm();
      onClose();
    } catch {
      // Reported by the caller (a notification); staying open lets the person try again or cancel.
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal opened={opened} onClose={pending ? () => undefined : onClose} title={title} centered>
      <Stack gap="lg">
        {children}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button color="red" onClick={confirm} loading={pending}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
