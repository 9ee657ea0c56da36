// One entry's actions. Write actions (rename, move, copy, delete) are left out entirely for read-only access,
// and Share only shows to those allowed to make links (admins and members with read-write access).
import { ActionIcon, Menu } from '@mantine/core';
import type { FileEntry } from './files-types';

export type EntryAction = 'open' | 'download' | 'zip' | 'rename' | 'move' | 'copy' | 'share' | 'delete';

export interface EntryMenuProps {
  entry: FileEntry;
  canWrite: boolean;
  canShare: boolean;
  onAction: (action: EntryAction, entry: FileEntry) => void;
}

export function EntryMenu({ entry, canWrite, canShare, onAction }: EntryMenuProps) {
  const folder = entry.kind === 'folder';
  const item = (action: EntryAction, label: string, color?: string) => (
    <Menu.Item onClick={() => onAction(action, entry)} {...(color ? { color } : {})}>
      {label}
    </Menu.Item>
  );
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${entry.name}`}>
          ⋯
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {item('open', folder ? 'Open' : 'Preview')}
        {folder ? item('zip', 'Download as ZIP') : item('download', 'Download')}
        {canShare && item('share', 'Share link…')}
        {canWrite && (
          <>
            <Menu.Divider />
            {item('rename', 'Rename…')}
            {item('move', 'Move…')}
            {item('copy', 'Copy…')}
            <Menu.Divider />
            {item('delete', 'Delete…', 'red')}
          </>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}
