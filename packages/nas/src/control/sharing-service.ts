// Sharing on the control plane: grants per export and member, the default access of members (and the
// revocations a narrower one causes), and betterNAS's cloud profiles for its Nextcloud app.

import { type EventBus, type Logger, type Principal, publishOrLog, type UserDirectory } from '@homeport/core';
import { NasError } from '../errors.js';
import { type AccessPolicy, accessRank, type DefaultAccess } from './access-policy.js';
import type { ExportRecord, GrantAccess, NasStore } from './store/repositories.js';
import { SHARED_TOPIC, sharesTopic } from './topics.js';

/** Nextcloud's betterNAS app shows an export at this path (cloud profiles). */
export const NEXTCLOUD_EXPORT_PATH = '/apps/betternascontrolplane/exports/';

export interface SharingServiceOptions {
  store: NasStore;
  log: Logger;
  events: EventBus;
  users: UserDirectory;
  policy: AccessPolicy;
  clock: () => number;
  /** Nextcloud with betterNAS's app (cloud profiles), without a trailing slash. */
  nextcloudBaseUrl: string | undefined;
  exportOrThrow: (exportId: string) => Promise<ExportRecord>;
  userIdOf: (userIdOrName: string) => Promise<string | undefined>;
  /** Ends what visitors opened through a user's share links on an export (the links need write access). */
  revokeShareCredentialsOf: (userId: string, exportId: string) => Promise<number>;
}

export function createSharingService(options: SharingServiceOptions) {
  const { store, log, events, policy, exportOrThrow, userIdOf } = options;
  const nowIso = () => new Date(options.clock()).toISOString();
  const nowSeconds = () => Math.floor(options.clock() / 1000);

  return {
    async listGrants(exportId: string) {
      await exportOrThrow(exportId);
      const grants = await store.grants.listForExport(exportId);
      return Promise.all(
        grants.map(async (grant) => ({
          userId: grant.userId,
          username: (await options.users.find(grant.userId))?.username ?? null,
          access: grant.access,
          createdAt: grant.createdAt,
        })),
      );
    },

    async grant(exportId: string, userIdOrName: string, access: GrantAccess) {
      await exportOrThrow(exportId);
      const user = await options.users.find(userIdOrName);
      if (!user) throw new NasError('user_not_found', `No user "${userIdOrName}"`);
      const grant = { exportId, userId: user.id, access, createdAt: nowIso() };
      await store.grants.put(grant);
      // A narrower grant must take effect now, not when old read-write credentials expire.
      if (access !== 'read-write') {
        await store.credentials.revoke({ userId: user.id, exportId }, nowIso(), nowSeconds());
        await options.revokeShareCredentialsOf(user.id, exportId);
      }
      log.info({ exportId, userId: user.id, access }, 'export shared');
      await publishOrLog(events, log, sharesTopic(user.id), 'shares.changed', {});
      return { userId: user.id, username: user.username, access, createdAt: grant.createdAt };
    },

    async revokeGrant(exportId: string, userIdOrName: string) {
      await exportOrThrow(exportId);
      const userId = (await userIdOf(userIdOrName)) ?? userIdOrName;
      if (!(await store.grants.remove(exportId, userId))) {
        throw new NasError('not_granted', 'This user has no grant on this export');
      }
      await store.credentials.revoke({ userId, exportId }, nowIso(), nowSeconds());
      await options.revokeShareCredentialsOf(userId, exportId);
      log.info({ exportId, userId }, 'export unshared');
      await publishOrLog(events, log, sharesTopic(userId), 'shares.changed', {});
    },

    defaultAccessSetting: policy.defaultAccessSetting,

    /**
     * Changes what members get on exports nobody shared with them. A narrower default ends, at once, the
     * credentials members hold under the old one (those with their own grant keep theirs).
     */
    async setDefaultAccess(value: DefaultAccess) {
      const before = await policy.setDefaultAccess(value);
      if (accessRank(value) < accessRank(before)) {
        let revoked = 0;
        for (const credential of await store.credentials.listActive(nowSeconds())) {
          if (credential.userId === null || (value === 'read-only' && credential.readonly)) continue;
          if (await store.grants.find(credential.exportId, credential.userId)) continue;
          if ((await options.users.find(credential.userId))?.role === 'admin') continue;
          const filter = { username: credential.username };
          revoked += await store.credentials.revoke(filter, nowIso(), nowSeconds());
        }
        // Share links of members who could write only through the old default: what they gave ends now
        // (the links themselves refuse to open while their creator cannot write).
        if (before === 'read-write') {
          for (const share of await store.shares.list()) {
            if (share.revokedAt !== null || share.expiresAt <= nowSeconds()) continue;
            if (await store.grants.find(share.exportId, share.createdBy)) continue;
            if ((await options.users.find(share.createdBy))?.role === 'admin') continue;
            revoked += await options.revokeShareCredentialsOf(share.createdBy, share.exportId);
          }
        }
        if (revoked > 0) log.info({ from: before, to: value, revoked }, 'mount credentials revoked');
      }
      if (value !== before) {
        log.info({ from: before, to: value }, 'default export access changed');
        await publishOrLog(events, log, SHARED_TOPIC, 'shares.changed', {});
      }
      return policy.defaultAccessSetting();
    },

    /**
     * betterNAS's cloud profile: where Nextcloud's betterNAS app shows an export. `userId` is the Nextcloud
     * app's user, echoed into the id (it names no Homeport account); the export must be one the caller sees.
     */
    async issueCloudProfile(principal: Principal, request: { userId: string; exportId: string }) {
      if ((await policy.accessTo(principal, request.exportId)) === undefined) {
        throw new NasError('export_not_found', `No export "${request.exportId}"`);
      }
      const record = await exportOrThrow(request.exportId);
      if (options.nextcloudBaseUrl === undefined) {
        throw new NasError(
          'nextcloud_not_configured',
          'No Nextcloud is configured; set HOMEPORT_NEXTCLOUD_BASE_URL (or BETTERNAS_NEXTCLOUD_BASE_URL)',
        );
      }
      return {
        id: `cloud-${request.userId}-${record.id}`,
        exportId: record.id,
        provider: 'nextcloud' as const,
        baseUrl: options.nextcloudBaseUrl,
        path: `${NEXTCLOUD_EXPORT_PATH}${encodeURIComponent(record.id)}`,
      };
    },

    /** What /health tells betterNAS's Nextcloud app and stack check about Nextcloud. */
    nextcloudHealth() {
      return {
        configured: options.nextcloudBaseUrl !== undefined,
        baseUrl: options.nextcloudBaseUrl ?? '',
        provider: 'nextcloud' as const,
      };
    },
  };
}
