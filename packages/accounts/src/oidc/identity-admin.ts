// Linked OIDC identities as admins see and manage them: who signs in how, and unlinking.

import type { Logger } from '@homeport/core';
import { AccountsError } from '../errors.js';
import type { Mutex } from '../gate.js';
import type { AccountsService } from '../service.js';
import type { AccountsStore, OidcIdentityRecord } from '../store/repositories.js';
import { assertAdminCanSignIn } from './admin-access.js';
import type { AuthSettingsManager } from './auth-settings.js';

export interface IdentityAdminOptions {
  store: AccountsStore;
  service: AccountsService;
  authSettings: AuthSettingsManager;
  mutex: Mutex;
  log: Logger;
}

export type IdentityAdmin = ReturnType<typeof createIdentityAdmin>;

export function createIdentityAdmin({ store, service, authSettings, mutex, log }: IdentityAdminOptions) {
  return {
    /** Every linked identity, grouped by user id (one query instead of one per user). */
    async byUser(): Promise<Map<string, OidcIdentityRecord[]>> {
      const grouped = new Map<string, OidcIdentityRecord[]>();
      for (const identity of await store.identities.list()) {
        const list = grouped.get(identity.userId) ?? [];
        list.push(identity);
        grouped.set(identity.userId, list);
      }
      return grouped;
    },

    listForUser(userId: string): Promise<OidcIdentityRecord[]> {
      return store.identities.listForUser(userId);
    },

    /**
     * Unlinks an identity and ends the sessions opened through it. Refused when it would leave no admin able
     * to sign in (e.g. the last admin who signs in through the provider while password sign-in is off).
     */
    unlink(userId: string, identityId: string): Promise<void> {
      return mutex.lock(async () => {
        const identity = await store.identities.byId(identityId);
        if (identity?.userId !== userId)
          throw new AccountsError('identity_not_found', 'No such linked sign-in for this user');
        await assertAdminCanSignIn(store, await authSettings.current(), { identityRemoved: identityId });
        // Through the service, so whatever it keeps about a session (caches) goes with it.
        const sessions = await store.oidcSessions.sessionIdsOf(identityId);
        for (const sessionId of sessions) await service.endSession(sessionId, userId);
        const ended = sessions.length;
        await store.identities.delete(identityId);
        log.info(
          { userId, identityId, issuer: identity.issuer, sessionsEnded: ended },
          'OIDC identity unlinked',
        );
        const user = await store.users.byId(userId);
        if (user) await service.announceUserChanged(user);
      });
    },
  };
}
