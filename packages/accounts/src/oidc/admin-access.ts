// The lockout rule: after any change to sign-in settings, admin roles or linked identities, at least one active
// admin must still be able to sign in — with a password while local login is on, or through the provider.

import { AccountsError } from '../errors.js';
import type { AccountsStore } from '../store/repositories.js';
import { decideAccess } from './access-policy.js';
import { type AuthSettings, usableOidc } from './auth-settings.js';

export interface PendingChange {
  /** An admin about to be demoted or disabled. */
  userLosingAdmin?: string;
  /** An identity about to be unlinked. */
  identityRemoved?: string;
}

/**
 * Throws `admin_lockout` (409) when no active admin could sign in under `settings` once `change` is applied.
 * An OIDC admin counts when they are linked at the configured issuer and their groups/email as of their
 * last sign-in pass the allowed groups and domains.
 */
export async function assertAdminCanSignIn(
  store: AccountsStore,
  settings: AuthSettings,
  change: PendingChange = {},
): Promise<void> {
  const admins = (await store.users.list()).filter(
    (user) => user.role === 'admin' && user.status === 'active' && user.id !== change.userLosingAdmin,
  );
  if (settings.localLoginEnabled && admins.some((user) => user.passwordHash !== null)) return;
  const oidc = usableOidc(settings);
  if (oidc) {
    const adminIds = new Set(admins.map((user) => user.id));
    const identities = await store.identities.list();
    const reachable = identities.some(
      (identity) =>
        identity.id !== change.identityRemoved &&
        identity.issuer === oidc.issuer &&
        adminIds.has(identity.userId) &&
        decideAccess(identity, oidc).allowed,
    );
    if (reachable) return;
  }
  const why = !settings.localLoginEnabled
    ? oidc
      ? `password sign-in is off, and no active admin has signed in with ${oidc.displayName} (and is still allowed by its groups or domains). Sign in once with ${oidc.displayName}, make that account an admin, then try again`
      : 'password sign-in would be off and sign-in with OIDC is not on'
    : oidc
      ? `no remaining admin has a password or a ${oidc.displayName} account linked`
      : 'no remaining admin has a password';
  throw new AccountsError('admin_lockout', `This would lock every admin out: ${why}.`);
}
