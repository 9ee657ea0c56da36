// A member's access to one export in words: the choices of the Share dialog (with "No access", which hides
// the export from them whatever the default access) and what a change did.
import type { DefaultAccess, GrantAccess } from '../../api/types';

const labels: Record<GrantAccess, string> = {
  'read-write': 'Read-write',
  'read-only': 'Read-only',
  none: 'No access',
};

/** Widest first, as the Share dialog's segmented controls show them. */
export const GRANT_ACCESS_CHOICES: { label: string; value: GrantAccess }[] = (
  ['read-write', 'read-only', 'none'] as const
).map((value) => ({ label: labels[value], value }));

export const isGrantAccess = (value: string): value is GrantAccess => Object.hasOwn(labels, value);

/** "Read-write", "Read-only", "No access": a grant's access, or the default members get without one. */
export const grantAccessLabel = (access: GrantAccess | DefaultAccess): string => labels[access];

/** The notification after an admin set someone's access; narrower grants end that person's credentials. */
export function grantChangedMessage(name: string, exportLabel: string, access: GrantAccess): string {
  switch (access) {
    case 'read-write':
      return `${name} now has read-write access to ${exportLabel}`;
    case 'read-only':
      return `${name} now has read-only access to ${exportLabel}; their mount credentials for it were revoked`;
    case 'none':
      return `${exportLabel} is now hidden from ${name}; their mount credentials were revoked`;
  }
}
