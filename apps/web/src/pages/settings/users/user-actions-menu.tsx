// Per-user menu in the Users table: change role, disable or enable, reset password (or, on my own row, change
// it where I need the current one), unlink a provider account.
import { Button, Menu, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useApi } from '../../../api/api-context';
import { ApiError } from '../../../api/api-error';
import type { AdminUser, Identity, UpdateUserInput, User } from '../../../api/types';
import { useConfirm } from '../../../components/use-confirm';
import { notifyFailure, notifySuccess } from '../../../lib/notify';

export interface UserActionsMenuProps {
  user: AdminUser;
  /** The signed-in admin; changes to their own account get a warning first. */
  me: User;
  onChanged: (user: User) => void;
  onResetPassword: (user: User) => void;
  onUnlink: (user: AdminUser, identity: Identity) => void;
}

interface PendingChange {
  input: UpdateUserInput;
  title: string;
  confirmLabel: string;
  warning: string;
  success: string;
}

export function UserActionsMenu({ user, me, onChanged, onResetPassword, onUnlink }: UserActionsMenuProps) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const isSelf = user.id === me.id;

  const apply = async (input: UpdateUserInput, success: string) => {
    try {
      const updated = await api.users.update(user.id, input);
      notifySuccess(success);
      onChanged(updated);
    } catch (error) {
      const title = `Could not change ${user.username}`;
      if (error instanceof ApiError && error.code === 'last_admin') {
        notifyFailure(
          title,
          new Error('Homeport needs at least one active admin; promote someone else first.'),
        );
      } else {
        notifyFailure(title, error);
      }
      throw error;
    }
  };

  const run = async (input: UpdateUserInput, success: string) => {
    setBusy(true);
    // The failure was already reported by apply(); nothing else to do with it here.
    await apply(input, success).catch(() => undefined);
    setBusy(false);
  };

  const confirm = useConfirm<PendingChange>({
    title: (change) => change.title,
    confirmLabel: (change) => change.confirmLabel,
    body: (change) => <Text size="sm">{change.warning}</Text>,
    onConfirm: (change) => apply(change.input, change.success),
  });
  const askFirst = confirm.ask;

  const newRole = user.role === 'admin' ? 'member' : 'admin';
  const roleSuccess = `${user.username} is now ${newRole === 'admin' ? 'an admin' : 'a member'}`;
  const changeRole = () => {
    const input: UpdateUserInput = { role: newRole };
    if (isSelf && newRole === 'member') {
      askFirst({
        input,
        title: 'Give up admin rights?',
        confirmLabel: 'Make me a member',
        warning: 'You will no longer be able to manage users. Another admin can give the role back.',
        success: roleSuccess,
      });
    } else void run(input, roleSuccess);
  };

  const toggleStatus = () => {
    if (user.status === 'disabled') {
      void run({ status: 'active' }, `${user.username} can sign in again`);
      return;
    }
    askFirst({
      input: { status: 'disabled' },
      title: `Disable ${user.username}?`,
      confirmLabel: 'Disable',
      warning: isSelf
        ? 'This is your own account: you will be signed out and cannot sign in until another admin enables it.'
        : `${user.username} will be signed out everywhere and cannot sign in until enabled again.`,
      success: `${user.username} was disabled`,
    });
  };

  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button variant="subtle" size="xs" loading={busy} aria-label={`Actions for ${user.username}`}>
            Actions
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item onClick={changeRole}>{newRole === 'admin' ? 'Make admin' : 'Make member'}</Menu.Item>
          <Menu.Item onClick={toggleStatus} {...(user.status === 'active' ? { color: 'red' } : {})}>
            {user.status === 'active' ? 'Disable' : 'Enable'}
          </Menu.Item>
          {isSelf && user.signIn.password ? (
            // My own password is changed with the current one, and keeps this session (Settings → Sign-in).
            <Menu.Item component={Link} to="/settings/sign-in">
              Change my password…
            </Menu.Item>
          ) : (
            <Menu.Item onClick={() => onResetPassword(user)}>Reset password…</Menu.Item>
          )}
          {user.signIn.identities.map((identity) => (
            <Menu.Item key={identity.id} color="red" onClick={() => onUnlink(user, identity)}>
              Unlink {identityLabel(identity)}…
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
      {confirm.dialog}
    </>
  );
}

/** "alice at auth.example.com": who the provider account is, and which provider. */
export function identityLabel(identity: Identity): string {
  let host = identity.issuer;
  try {
    host = new URL(identity.issuer).host;
  } catch {
    // The issuer is always a URL from the server; keep it whole if not.
  }
  return `${identity.displayName ?? identity.subject} at ${host}`;
}
