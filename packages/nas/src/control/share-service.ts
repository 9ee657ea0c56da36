// Share links: one file or folder of an export, opened without an account by whoever holds the link's secret
// (and its password, when it has one), for a scoped credential the agent verifies itself. Not to be confused
// with sharing-service.ts, which grants members access to whole exports.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger, PasswordHasher, Principal, UserDirectory } from '@homeport/core';
import { rfc3339Seconds } from '../credentials/betternas-credential.js';
import { isScopePath } from '../credentials/mount-credential.js';
import { NasError } from '../errors.js';
import { type AccessPolicy, seesEverything } from './access-policy.js';
import type { ExportRecord, NasStore, ShareKind, ShareMode, ShareRecord } from './store/repositories.js';

/** Active links one user may hold at once (each a stored record). */
export const MAX_ACTIVE_SHARES = 200;
export const DEFAULT_SHARE_DAYS = 7;
export const MAX_SHARE_DAYS = 90;
/** Wrong passwords allowed per link and per client address in one window, before 429. */
export const SHARE_PASSWORD_FAILURES = 5;
export const SHARE_PASSWORD_WINDOW_MS = 15 * 60_000;
/** Expired links stay listed this long (so their creator sees why a link stopped), then go. */
export const EXPIRED_SHARE_KEPT_SECONDS = 30 * 86_400;

const sha256 = (text: string) => createHash('sha256').update(text).digest();
/** Compared against when the id is unknown, so an unknown id costs what a wrong secret does. */
const DECOY_HASH = sha256('no such share link').toString('hex');

export interface ShareInput {
  path: string;
  kind: ShareKind;
  mode: ShareMode;
  expiresInDays?: number | undefined;
  password?: string | undefined;
}

export interface ShareIssuer {
  issueShareCredential(share: ShareRecord): Promise<{
    password: string;
    expiresAt: number;
    baseUrl: string;
    label: string;
  }>;
  revokeShareCredentials(shareId: string): Promise<number>;
}

export interface ShareServiceOptions {
  store: NasStore;
  log: Logger;
  users: UserDirectory;
  policy: AccessPolicy;
  passwords: PasswordHasher;
  credentials: ShareIssuer;
  clock: () => number;
  exportOrThrow: (exportId: string) => Promise<ExportRecord>;
  /** HOMEPORT_PUBLIC_URL without a trailing slash; unset: links are given relative to the page's origin. */
  publicUrl: () => string | undefined;
}

/**
 * What the client sends, made canonical: a leading `/` added and a trailing one dropped (a folder's path as
 * the page knows it). Anything else that is not already canonical (`..`, `.`, `//`, a backslash, NUL) is
 * refused, never repaired: the agent enforces exactly the path the link names.
 */
export function normaliseSharePath(path: string): string | undefined {
  let canonical = path.startsWith('/') ? path : `/${path}`;
  if (canonical.length > 1 && canonical.endsWith('/') && !canonical.endsWith('//'))
    canonical = canonical.slice(0, -1);
  return isScopePath(canonical) ? canonical : undefined;
}

export type ShareService = ReturnType<typeof createShareService>;

export function createShareService(options: ShareServiceOptions) {
  const { store, log, policy, credentials, exportOrThrow } = options;
  const nowMs = () => options.clock();
  const nowSeconds = () => Math.floor(options.clock() / 1000);
  const nowIso = () => new Date(options.clock()).toISOString();

  const nameOf = (share: ShareRecord, label: string | undefined) =>
    share.path === '/' ? (label ?? 'Shared folder') : (share.path.split('/').pop() ?? share.path);

  const statusOf = (share: ShareRecord): 'active' | 'expired' | 'revoked' =>
    share.revokedAt !== null ? 'revoked' : share.expiresAt <= nowSeconds() ? 'expired' : 'active';

  /** A link as its creator and admins see it: never its secret nor its password hash. */
  const view = (share: ShareRecord, label: string | undefined) => ({
    id: share.id,
    exportId: share.exportId,
    exportLabel: label ?? null,
    path: share.path,
    name: nameOf(share, label),
    kind: share.kind,
    mode: share.mode,
    hasPassword: share.passwordHash !== null,
    createdBy: share.createdBy,
    createdAt: share.createdAt,
    expiresAt: rfc3339Seconds(share.expiresAt),
    revokedAt: share.revokedAt,
    status: statusOf(share),
    opens: share.opens,
    lastOpenedAt: share.lastOpenedAt,
  });

  const labelsOf = async (shares: readonly ShareRecord[]) => {
    const ids = [...new Set(shares.map((share) => share.exportId))];
    return new Map(
      await Promise.all(ids.map(async (id) => [id, (await store.exports.byId(id))?.label] as const)),
    );
  };

  /** Whether the link's creator may still write its export: the link lives on that access. */
  const creatorMayShare = async (share: ShareRecord): Promise<boolean> => {
    const user = await options.users.find(share.createdBy);
    if (user === undefined || user.status !== 'active') return false;
    // The creator as a principal, only to ask the policy what they may do now (nothing is done as them).
    const creator: Principal = {
      kind: 'user',
      userId: user.id,
      username: user.username,
      role: user.role,
      via: 'session',
      viaCookie: false,
    };
    return (await policy.accessTo(creator, share.exportId)) === 'read-write';
  };

  const notFound = () => new NasError('share_not_found', 'No such share link, or it expired or was revoked');

  /** Throttle keys of one opening: the link's and the client address's wrong passwords. */
  const attemptKeys = (shareId: string, ip: string) => [`share:${shareId}`, `ip:${ip}`];

  const requireNotThrottled = async (keys: readonly string[]) => {
    const now = nowMs();
    for (const key of keys) {
      const window = await store.attempts.current(key, now, SHARE_PASSWORD_WINDOW_MS);
      if (window.count >= SHARE_PASSWORD_FAILURES) {
        const retryAfterSeconds = Math.max(
          1,
          Math.ceil((window.windowStart + SHARE_PASSWORD_WINDOW_MS - now) / 1000),
        );
        throw new NasError(
          'share_password_throttled',
          `Too many wrong passwords; try again in ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        );
      }
    }
  };

  return {
    /**
     * Creates a link (admins, and members who may write the export): the answer holds the only copy of its
     * secret, in the URL's fragment so it never reaches a server log or a Referer.
     */
    async createShare(principal: Principal, exportId: string, input: ShareInput) {
      if (principal.kind !== 'user') throw new NasError('share_forbidden', 'Share links are made by people');
      const access = await policy.accessTo(principal, exportId);
      if (access === undefined) throw new NasError('export_not_found', `No export "${exportId}"`);
      if (access !== 'read-write')
        throw new NasError('share_forbidden', 'Sharing by link needs read-write access to this export');
      const record = await exportOrThrow(exportId);
      const node = await store.nodes.byId(record.nodeId);
      if (node?.agentKind !== 'homeport') {
        throw new NasError(
          'agent_unsupported',
          'This export is served by a betterNAS agent, which cannot verify share links',
        );
      }
      const path = normaliseSharePath(input.path);
      if (path === undefined) {
        throw new NasError(
          'invalid_request',
          'path must name an item of the export: /folder/file.txt (no ".", "..", empty segments or backslashes; at most 1,024 bytes)',
        );
      }
      if (input.kind === 'file' && path === '/')
        throw new NasError('invalid_request', 'The root of an export is a folder');
      if (input.mode === 'drop' && input.kind !== 'folder')
        throw new NasError('invalid_request', 'A file drop takes uploads into a folder: share a folder');
      if ((await store.shares.countActive(principal.userId, nowSeconds())) >= MAX_ACTIVE_SHARES) {
        throw new NasError(
          'too_many_shares',
          `At most ${MAX_ACTIVE_SHARES} share links may be active at once; revoke some first`,
        );
      }
      const secret = randomBytes(32).toString('base64url');
      const share: ShareRecord = {
        id: `shr_${randomBytes(12).toString('base64url')}`,
        exportId: record.id,
        path,
        kind: input.kind,
        mode: input.mode,
        secretHash: sha256(secret).toString('hex'),
        passwordHash: input.password === undefined ? null : await options.passwords.hash(input.password),
        createdBy: principal.userId,
        createdAt: nowIso(),
        expiresAt: nowSeconds() + (input.expiresInDays ?? DEFAULT_SHARE_DAYS) * 86_400,
        revokedAt: null,
        opens: 0,
        lastOpenedAt: null,
      };
      await store.shares.create(share);
      log.info(
        { shareId: share.id, exportId: record.id, mode: share.mode, by: principal.userId },
        'share link created',
      );
      return {
        share: view(share, record.label),
        url: `${options.publicUrl() ?? ''}/s/${share.id}#${secret}`,
      };
    },

    /** The signed-in user's links; with `all`, an admin's view of everyone's. Newest first. */
    async listShares(principal: Principal, all: boolean) {
      if (principal.kind !== 'user') return [];
      const shares =
        all && seesEverything(principal)
          ? await store.shares.list()
          : await store.shares.listForCreator(principal.userId);
      const labels = await labelsOf(shares);
      return shares.map((share) => view(share, labels.get(share.exportId)));
    },

    /**
     * Revokes a link at once (its creator, or an admin): it no longer opens, and the credentials it issued
     * are revoked (agents drop them at their next revocation fetch). Someone else's link reads as unknown.
     */
    async revokeShare(principal: Principal, shareId: string) {
      const share = await store.shares.byId(shareId);
      const mine = principal.kind === 'user' && share?.createdBy === principal.userId;
      if (!share || !(mine || seesEverything(principal))) throw notFound();
      await store.shares.revoke(share.id, nowIso());
      const revoked = await credentials.revokeShareCredentials(share.id);
      log.info(
        { shareId, by: principal.kind === 'user' ? principal.userId : 'client', revoked },
        'share link revoked',
      );
    },

    /**
     * Opens a link for an anonymous visitor. Unknown, wrong secret, revoked, expired, creator disabled or
     * without write access, export gone: all the same 404, so nothing about links can be probed. Only after
     * the secret matched does a password matter: none given is 401 share_password_required (the page asks),
     * a wrong one 401 share_password_wrong, counted per link and per address (429 past the allowance).
     */
    async openShare(shareId: string, body: { secret: string; password?: string | undefined }, ip: string) {
      const share = await store.shares.byId(shareId);
      const wanted = Buffer.from(share?.secretHash ?? DECOY_HASH, 'hex');
      const matched = timingSafeEqual(sha256(body.secret), wanted) && share !== undefined;
      if (!matched || share.revokedAt !== null || share.expiresAt <= nowSeconds()) throw notFound();
      if (!(await creatorMayShare(share))) throw notFound();
      if (share.passwordHash !== null) {
        if (body.password === undefined)
          throw new NasError('share_password_required', 'This link is protected by a password');
        const keys = attemptKeys(share.id, ip);
        await requireNotThrottled(keys);
        if (!(await options.passwords.verify(share.passwordHash, body.password))) {
          for (const key of keys) await store.attempts.fail(key, nowMs(), SHARE_PASSWORD_WINDOW_MS);
          log.info({ shareId }, 'share link password refused');
          throw new NasError('share_password_wrong', 'Wrong password for this link');
        }
      }
      let issued: Awaited<ReturnType<ShareIssuer['issueShareCredential']>>;
      try {
        issued = await credentials.issueShareCredential(share);
      } catch (error) {
        // The export went since the link was made: the link is dead, and says no more than any other.
        if (error instanceof NasError && error.code === 'export_not_found') throw notFound();
        throw error;
      }
      await store.shares.recordOpen(share.id, nowIso());
      return {
        baseUrl: issued.baseUrl,
        token: issued.password,
        expiresAt: rfc3339Seconds(issued.expiresAt),
        mode: share.mode,
        name: nameOf(share, issued.label),
        kind: share.kind,
        path: share.path,
      };
    },

    /** Forgets links long expired, and password windows long over; run on the status timer. */
    async sweepShares() {
      await store.shares.deleteExpired(nowSeconds() - EXPIRED_SHARE_KEPT_SECONDS);
      await store.attempts.deleteStale(nowMs() - SHARE_PASSWORD_WINDOW_MS);
    },
  };
}
