// "New password" and "Confirm new password", checked by the server's own rules: the field block every form
// that sets a password shares (change my password, an admin's reset, creating an account).
import type { ReactNode } from 'react';
import { validatePassword } from '../auth/validation';
import { SecretInput } from './secret-input';

export interface NewPasswordErrors {
  password?: string | undefined;
  confirm?: string | undefined;
}

/** The problems to show before sending; none when both fields are fine. */
export function checkNewPassword(password: string, confirm: string): NewPasswordErrors {
  return {
    password: validatePassword(password),
    confirm: confirm === password ? undefined : 'Passwords do not match',
  };
}

export function hasProblems(errors: NewPasswordErrors): boolean {
  return errors.password !== undefined || errors.confirm !== undefined;
}

export interface NewPasswordFieldsProps {
  password: string;
  confirm: string;
  onPassword: (value: string) => void;
  onConfirm: (value: string) => void;
  errors: NewPasswordErrors;
  description?: ReactNode;
  disabled?: boolean;
  autoFocus?: boolean;
  /** Field labels (default "New password" / "Confirm new password"; a new account says "Password"). */
  labels?: { password: string; confirm: string };
}

export function NewPasswordFields({
  password,
  confirm,
  onPassword,
  onConfirm,
  errors,
  description = 'At least 8 characters.',
  disabled = false,
  autoFocus = false,
  labels = { password: 'New password', confirm: 'Confirm new password' },
}: NewPasswordFieldsProps) {
  return (
    <>
      <SecretInput
        label={labels.password}
        description={description}
        autoComplete="new-password"
        value={password}
        onChange={(event) => onPassword(event.currentTarget.value)}
        error={errors.password}
        disabled={disabled}
        {...(autoFocus ? { 'data-autofocus': true } : {})}
      />
      <SecretInput
        label={labels.confirm}
        autoComplete="new-password"
        value={confirm}
        onChange={(event) => onConfirm(event.currentTarget.value)}
        error={errors.confirm}
        disabled={disabled}
      />
    </>
  );
}
