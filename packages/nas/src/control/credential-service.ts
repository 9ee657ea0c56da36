// Mount credentials on the control plane: issuing a profile (a credential signed with the node's current key
// generation, within the holder's quota), listing what is outstanding, and revoking early — by id, user,
// export, or because a user's access narrowed.

import { randomBytes } from 'node:crypto';
import type { AccessChange, Logger, Principal } from '@homeport/core';
import { rfc3339Seconds, signBetterNasCredential } from '../credentials/betternas-credential.js';
import { nodeDavKey, signMountCredential } from '../credentials/mount-credential.js';
import { NasError } from '../errors.js';
import { type AccessPolicy, seesEverything } from './access-policy.js';
import type {
  CredentialFilter,
  ExportRecord,
  NasStore,
  NodeRecord,
  NodeStatus,
} from './store/repositories.js';

/** Outstanding mount credentials per user (or for the static client token), each a stored row. */
export const MAX_ACTIVE_CREDENTIALS = 500;

export interface CredentialServiceOptions {
  store: NasStore;
  log: Logger;
  /** Root of Homeport agents' per-node keys. */
  davAuthSecret: string;
  /** The secret betterNAS agents share (BETTERNAS_DAV_AUTH_SECRET); unset: no profiles for their nodes. */
  betternasSecret: string | undefined;
  ttlSeconds: number;
  clock: () => number;
  statusOf: (node: NodeRecord) => NodeStatus;
  exportOrThrow: (exportId: string) => Promise<ExportRecord>;
  userIdOf: (userIdOrName: string) => Promise<string | undefined>;
  policy: AccessPolicy;
}

export function createCredentialService(options: CredentialServiceOptions) {
  const { store, log, ttlSeconds, statusOf, exportOrThrow, userIdOf, policy } = options;
  const nowIso = () => new Date(options.clock()).toISOString();
  const nowSeconds = () => Math.floor(options.clock() / 1000);

  return {
    /**
     * betterNAS's MountProfile with a short-lived Basic-auth credential the agent verifies by itself: in
     * Homeport's format (per-node key) for a Homeport agent, in betterNAS's (shared secret) for a betterNAS
     * agent.
     */
    async issueMountProfile(principal: Principal, exportId: string, wantReadonly: boolean | undefined) {
      const access = await policy.accessTo(principal, exportId);
      // Unknown and not shared read the same, so members cannot probe for export ids.
      if (access === undefined) throw new NasError('export_not_found', `No export "${exportId}"`);
      const readonly = (wantReadonly ?? false) || access === 'read-only';
      const record = await exportOrThrow(exportId);
      const node = await store.nodes.byId(record.nodeId);
      if (!node || statusOf(node) === 'offline' || node.directAddress === null) {
        throw new NasError(
          'node_offline',
          'The node holding this export is offline; try again when it is back',
          { retryAfterSeconds: 30 },
        );
      }
      const betternas = node.agentKind === 'betternas';
      if (betternas && options.betternasSecret === undefined) {
        throw new NasError(
          'betternas_secret_missing',
          `Node ${node.id} runs a betterNAS agent, which verifies credentials with the shared secret; set BETTERNAS_DAV_AUTH_SECRET to the value its agents use`,
        );
      }
      const holder = principal.kind === 'user' ? principal.userId : null;
      if ((await store.credentials.countActive(holder, nowSeconds())) >= MAX_ACTIVE_CREDENTIALS) {
        throw new NasError(
          'too_many_credentials',
          `At most ${MAX_ACTIVE_CREDENTIALS} mount credentials may be outstanding at once; revoke some or wait until they expire`,
          { retryAfterSeconds: 60 },
        );
      }
      // betterNAS's usernames carry 24 random bytes; Homeport's 9 (the password's room under Finder's limit).
      const username = `mount-${randomBytes(betternas ? 24 : 9).toString('base64url')}`;
      const issuedAt = nowSeconds();
      const expiresAt = issuedAt + ttlSeconds;
      const password = betternas
        ? signBetterNasCredential(
            {
              v: 1,
              nodeId: node.id,
              mountPath: record.mountPath,
              username,
              readonly,
              expiresAt: rfc3339Seconds(expiresAt),
            },
            options.betternasSecret as string, // checked above
          )
        : signMountCredential(
            {
              v: 2,
              keyId: node.keyId,
              nodeId: node.id,
              exportId: record.id,
              username,
              readonly,
              // Breaking another person's lock is an admin's act; the static client token is not a person.
              admin: principal.kind === 'user' && principal.role === 'admin' && !readonly,
              issuedAt,
              expiresAt,
            },
            nodeDavKey(options.davAuthSecret, node.id, node.keyId),
          );
      await store.credentials.create({
        username,
        userId: holder,
        exportId,
        nodeId: node.id,
        readonly,
        issuedAt: nowIso(),
        expiresAt,
        revokedAt: null,
      });
      log.info({ exportId, nodeId: node.id, username, readonly }, 'mount credential issued');
      return {
        id: `mnt_${randomBytes(9).toString('base64url')}`,
        exportId,
        protocol: 'webdav' as const,
        displayName: record.label,
        mountUrl: `${node.directAddress.replace(/\/+$/, '')}${record.mountPath}`,
        readonly,
        credential: {
          mode: 'basic-auth' as const,
          username,
          password,
          expiresAt: rfc3339Seconds(expiresAt),
        },
      };
    },

    /** Revokes by user (id or username), export, or both; an unknown user or export is a 404, not a no-op. */
    async revokeCredentials(filter: { userId?: string; exportId?: string }) {
      if (filter.userId === undefined && filter.exportId === undefined) {
        throw new NasError('invalid_request', 'Give userId, exportId or both');
      }
      const resolved: CredentialFilter = {};
      if (filter.exportId !== undefined) resolved.exportId = (await exportOrThrow(filter.exportId)).id;
      if (filter.userId !== undefined) {
        // A deleted user's credentials were revoked when the account went, so an unknown user is a mistake.
        const userId = await userIdOf(filter.userId);
        if (userId === undefined) throw new NasError('user_not_found', `No user "${filter.userId}"`);
        resolved.userId = userId;
      }
      const revoked = await store.credentials.revoke(resolved, nowIso(), nowSeconds());
      log.info({ ...filter, revoked }, 'mount credentials revoked');
      return { revoked };
    },

    /** Ends every mount credential of a user whose access narrowed (disabled, deleted, demoted, new password). */
    async accessNarrowed(change: AccessChange) {
      const revoked = await store.credentials.revoke({ userId: change.userId }, nowIso(), nowSeconds());
      if (revoked > 0)
        log.info({ userId: change.userId, reason: change.reason, revoked }, 'mount credentials revoked');
      return revoked;
    },

    async listActiveCredentials() {
      return (await store.credentials.listActive(nowSeconds())).map((credential) => ({
        username: credential.username,
        userId: credential.userId,
        exportId: credential.exportId,
        nodeId: credential.nodeId,
        readonly: credential.readonly,
        issuedAt: credential.issuedAt,
        expiresAt: rfc3339Seconds(credential.expiresAt),
      }));
    },

    /** The signed-in user's own outstanding credentials, newest first, with the label of their export. */
    async listOwnCredentials(userId: string) {
      const credentials = await store.credentials.listActiveForUser(userId, nowSeconds());
      // Only the exports these credentials name, not every export of the fleet (on KV a read per export).
      const exportIds = [...new Set(credentials.map((credential) => credential.exportId))];
      const labels = new Map(
        await Promise.all(exportIds.map(async (id) => [id, (await store.exports.byId(id))?.label] as const)),
      );
      return credentials.map((credential) => ({
        username: credential.username,
        exportId: credential.exportId,
        exportLabel: labels.get(credential.exportId) ?? null,
        readonly: credential.readonly,
        issuedAt: credential.issuedAt,
        expiresAt: rfc3339Seconds(credential.expiresAt),
      }));
    },

    /**
     * Revokes one credential by its id (username). Members may revoke only their own: someone else's reads
     * exactly like one that does not exist (404), so credential ids cannot be probed. Admins may revoke any.
     * An expired or already revoked credential of one's own answers `{ revoked: 0 }`.
     */
    async revokeCredential(principal: Principal, username: string) {
      const credential = await store.credentials.byUsername(username);
      const mine = principal.kind === 'user' && credential?.userId === principal.userId;
      if (!credential || !(mine || seesEverything(principal))) {
        throw new NasError('credential_not_found', `No mount credential "${username}"`);
      }
      const revoked = await store.credentials.revoke({ username }, nowIso(), nowSeconds());
      log.info(
        {
          username,
          userId: credential.userId,
          by: principal.kind === 'user' ? principal.userId : 'client',
          revoked,
        },
        'mount credential revoked',
      );
      return { revoked };
    },

    /** Revokes the signed-in user's own credentials, all of them or those of one export. */
    async revokeOwnCredentials(userId: string, exportId: string | undefined) {
      const filter: CredentialFilter = { userId, ...(exportId === undefined ? {} : { exportId }) };
      const revoked = await store.credentials.revoke(filter, nowIso(), nowSeconds());
      log.info({ userId, exportId, revoked }, 'own mount credentials revoked');
      return { revoked };
    },
  };
}
