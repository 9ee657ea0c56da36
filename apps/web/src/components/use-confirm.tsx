// "Are you sure?" for an action on one item of a list: `ask(item)` opens the dialog, `dialog` goes anywhere in
// the panel. The item is kept after closing, so the dialog's text does not vanish during its closing animation.
import { type ReactNode, useCallback, useState } from 'react';
import { ConfirmModal } from './confirm-modal';

export interface ConfirmSpec<T> {
  title: (item: T) => string;
  confirmLabel: (item: T) => string;
  body: (item: T) => ReactNode;
  /** Resolve to close the dialog; reject to keep it open (report the failure yourself, e.g. notifyFailure). */
  onConfirm: (item: T) => Promise<void>;
}

export function useConfirm<T>(spec: ConfirmSpec<T>): { ask: (item: T) => void; dialog: ReactNode } {
  const [item, setItem] = useState<{ value: T } | null>(null);
  const [opened, setOpened] = useState(false);
  const ask = useCallback((value: T) => {
    setItem({ value });
    setOpened(true);
  }, []);
  const dialog = (
    <ConfirmModal
      opened={opened}
      title={item ? spec.title(item.value) : ''}
      confirmLabel={item ? spec.confirmLabel(item.value) : ''}
      onConfirm={() => (item ? spec.onConfirm(item.value) : Promise.resolve())}
      onClose={() => setOpened(false)}
    >
      {item ? spec.body(item.value) : null}
    </ConfirmModal>
  );
  return { ask, dialog };
}
