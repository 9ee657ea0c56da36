// Mount credentials on the control plane: issuing a profile (a credential signed with the node's current key
// generation, within the holder's quota), the browser's short-lived access and a share link's scoped one
// (the same credential, recorded the same way, so every revocation path ends them too), listing what is
// outstanding, and revoking early — by id, user, export, share link, or because a user's access narrowed.

import { randomBytes } from 'node:crypto';
import type { AccessChange, Logger, Principal } from '@homeport/core';
import { rfc3339Seconds, signBetterNasCredential } from '../credentials/betternas-credential.js';
import { type CredentialScope, nodeDavKey, signMountCredential } from '../credentials/mount-credential.js';
import { NasError } from '../errors.js';
import { type AccessPolicy, seesEverything } from './access-policy.js';
import type {
  CredentialFilter,
  ExportRecord,
  NasStore,
  NodeRecord,
  NodeStatus,
  ShareRecord,
} from './store/repositories.js';

/** Outstanding mount credentials per user (or for the static client token), each a stored row. */
export const MAX_ACTIVE_CREDENTIALS = 500;
/** Outstanding credentials opened through one share link (each opening stores one). */
export const MAX_SHARE_CREDENTIALS = 200;
/** The browser's credential: short, renewed by the page when two thirds of it passed. */
export const BROWSER_TTL_SECONDS = 900;
/** A share link's credential: the visitor's page opens the link again for a new one. */
export const SHARE_TTL_SECONDS = 3600;

/** How a Homeport credential is made: what it is for (its username's prefix), its life, and its reach. */
interface HomeportCredentialOptions {
  prefix: 'mount' | 'web' | 'share';
  holder: string | null;
  shareId: string | null;
  readonly: boolean;
  admin: boolean;
  /** Unix seconds. */
  expiresAt: number;
  scope?: CredentialScope;
  /** A Basic password (under Finder's limit) or one only a browser sends as a bearer token. */
  basicPassword: boolean;
}

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

  /** The export's node, refusing one that is offline or has no address to reach it at. */
  const reachableNode = async (record: ExportRecord): Promise<NodeRecord & { directAddress: string }> => {
    const node = await store.nodes.byId(record.nodeId);
    if (!node || statusOf(node) === 'offline' || node.directAddress === null) {
      throw new NasError(
        'node_offline',
        'The node holding this export is offline; try again when it is back',
        { retryAfterSeconds: 30 },
      );
    }
    return { ...node, directAddress: node.directAddress };
  };

  const mountUrlOf = (node: { directAddress: string }, record: ExportRecord) =>
    `${node.directAddress.replace(/\/+$/, '')}${record.mountPath}`;

  /** Quota of the holder (a user, or the static client token when null). */
  const requireRoom = async (holder: string | null) => {
    if ((await store.credentials.countActive(holder, nowSeconds())) >= MAX_ACTIVE_CREDENTIALS) {
      throw new NasError(
        'too_many_credentials',
        `At most ${MAX_ACTIVE_CREDENTIALS} mount credentials may be outstanding at once; revoke some or wait until they expire`,
        { retryAfterSeconds: 60 },
      );
    }
  };

  /** Signs a Homeport credential with the node's current key and records it (the row revocation finds). */
  const issueHomeport = async (
    node: NodeRecord,
    record: ExportRecord,
    how: HomeportCredentialOptions,
  ): Promise<{ username: string; password: string; expiresAt: number }> => {
    if (node.agentKind !== 'homeport') {
      throw new NasError(
        'agent_unsupported',
        `Node ${node.id} runs a betterNAS agent, which accepts only its own mount credentials: browse and share this export from a node running the Homeport agent`,
      );
    }
    const username = `${how.prefix}-${randomBytes(9).toString('base64url')}`;
    const issuedAt = nowSeconds();
    const password = signMountCredential(
      {
        v: 2,
        keyId: node.keyId,
        nodeId: node.id,
        exportId: record.id,
        username,
        readonly: how.readonly,
        admin: how.admin,
        issuedAt,
        expiresAt: how.expiresAt,
        ...(how.scope ? { scope: how.scope } : {}),
      },
      nodeDavKey(options.davAuthSecret, node.id, node.keyId),
      { basicPassword: how.basicPassword },
    );
    await store.credentials.create({
      username,
      userId: how.holder,
      shareId: how.shareId,
      exportId: record.id,
      nodeId: node.id,
      readonly: how.readonly,
      issuedAt: nowIso(),
      expiresAt: how.expiresAt,
      revokedAt: null,
    });
    return { username, password, expiresAt: how.expiresAt };
  };

  /** Revokes the credentials opened through a user's links (all of them, or those on one export). */
  const revokeShareCredentialsOf = async (userId: string, exportId?: string) => {
    let revoked = 0;
    for (const share of await store.shares.listForCreator(userId)) {
      if (exportId !== undefined && share.exportId !== exportId) continue;
      revoked += await store.credentials.revoke({ shareId: share.id }, nowIso(), nowSeconds());
    }
    return revoked;
  };

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
      const node = await reachableNode(record);
      const betternas = node.agentKind === 'betternas';
      if (betternas && options.betternasSecret === undefined) {
        throw new NasError(
          'betternas_secret_missing',
          `Node ${node.id} runs a betterNAS agent, which verifies credentials with the shared secret; set BETTERNAS_DAV_AUTH_SECRET to the value its agents use`,
        );
      }
      const holder = principal.kind === 'user' ? principal.userId : null;
      await requireRoom(holder);
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
        shareId: null,
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
        mountUrl: mountUrlOf(node, record),
        readonly,
        credential: {
          mode: 'basic-auth' as const,
          username,
          password,
          expiresAt: rfc3339Seconds(expiresAt),
        },
      };
    },

    /**
     * The browser's access to one export (the Files page): a `web-` credential of BROWSER_TTL_SECONDS (never
     * longer than mount credentials live), sent as a bearer token to the agent's mount URL, counted in the
     * user's quota like a mount credential. Read-only when the user's access is.
     */
    async issueBrowserAccess(principal: Principal, exportId: string) {
      const access = await policy.accessTo(principal, exportId);
      if (access === undefined) throw new NasError('export_not_found', `No export "${exportId}"`);
      const record = await exportOrThrow(exportId);
      const node = await reachableNode(record);
      const holder = principal.kind === 'user' ? principal.userId : null;
      await requireRoom(holder);
      const readonly = access === 'read-only';
      const issued = await issueHomeport(node, record, {
        prefix: 'web',
        holder,
        shareId: null,
        readonly,
        admin: principal.kind === 'user' && principal.role === 'admin' && !readonly,
        expiresAt: nowSeconds() + Math.min(BROWSER_TTL_SECONDS, ttlSeconds),
        basicPassword: false,
      });
      log.info({ exportId, nodeId: node.id, username: issued.username, readonly }, 'browser access issued');
      return {
        baseUrl: mountUrlOf(node, record),
        token: issued.password,
        expiresAt: rfc3339Seconds(issued.expiresAt),
        readonly,
        exportId: record.id,
        label: record.label,
      };
    },

    /**
     * A share link's scoped credential for whoever opened it (no holder): read-only, reaching only the
     * link's item in its mode, for SHARE_TTL_SECONDS at most and never past the link's own expiry.
     */
    async issueShareCredential(share: ShareRecord) {
      const record = await exportOrThrow(share.exportId);
      const node = await reachableNode(record);
      if ((await store.credentials.countActiveForShare(share.id, nowSeconds())) >= MAX_SHARE_CREDENTIALS) {
        throw new NasError(
          'too_many_credentials',
          'This link was opened too often in the last hour; try again later',
          { retryAfterSeconds: 60 },
        );
      }
      const issued = await issueHomeport(node, record, {
        prefix: 'share',
        holder: null,
        shareId: share.id,
        readonly: true,
        admin: false,
        expiresAt: Math.min(nowSeconds() + Math.min(SHARE_TTL_SECONDS, ttlSeconds), share.expiresAt),
        scope: { path: share.path, mode: share.mode },
        basicPassword: false,
      });
      log.info(
        { shareId: share.id, exportId: record.id, username: issued.username },
        'share credential issued',
      );
      return { ...issued, baseUrl: mountUrlOf(node, record), label: record.label };
    },

    /** Ends every credential opened through one link (revoked, or its creator lost access). */
    async revokeShareCredentials(shareId: string) {
      return store.credentials.revoke({ shareId }, nowIso(), nowSeconds());
    },

    revokeShareCredentialsOf,

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

    /**
     * Ends every mount credential of a user whose access narrowed (disabled, deleted, demoted, new password),
     * and those visitors opened through the user's share links (the links themselves refuse to open while
     * the user may not write the export: checked at every opening).
     */
    async accessNarrowed(change: AccessChange) {
      const revoked =
        (await store.credentials.revoke({ userId: change.userId }, nowIso(), nowSeconds())) +
        (await revokeShareCredentialsOf(change.userId));
      if (revoked > 0)
        log.info({ userId: change.userId, reason: change.reason, revoked }, 'mount credentials revoked');
      return revoked;
    },

    async listActiveCredentials() {
      return (await store.credentials.listActive(nowSeconds())).map((credential) => ({
        username: credential.username,
        userId: credential.userId,
        shareId: credential.shareId,
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
