// Keeps a short-lived agent credential fresh for a page: issued on first use, issued again once two thirds
// of its life has passed (so a request never leaves with one about to expire), and once more when the agent
// answers 401 (revoked, the node's key rotated, a clock that disagrees) before the request is tried again.
import { AgentError } from './agent-error';
import type { AgentAccess } from './files-types';

export interface AccessKeeperOptions<T extends AgentAccess> {
  /** Asks the control plane for a new credential. */
  issue: () => Promise<T>;
  /** @default Date.now */
  now?: () => number;
}

export interface AccessKeeper<T extends AgentAccess> {
  /** A credential with at least a third of its life left (issued now if there is none). */
  get(): Promise<T>;
  /**
   * A credential other than `stale` (the one the agent just refused): the current one if someone renewed
   * already, else a new one.
   */
  renew(stale: T): Promise<T>;
  /** Runs `request` with a fresh credential; on an unauthorized answer renews once and runs it again. */
  run<R>(request: (access: T) => Promise<R>): Promise<R>;
  /** Forgets the credential (the page is left, or the export changed). */
  clear(): void;
}

/** A credential whose expiry is already past (a clock far ahead of the server's) is reused this long. */
const MIN_REUSE_MS = 60_000;

export function createAccessKeeper<T extends AgentAccess>(options: AccessKeeperOptions<T>): AccessKeeper<T> {
  const now = options.now ?? Date.now;
  let current: { access: T; renewAt: number } | undefined;
  let pending: Promise<T> | undefined;

  const issue = (): Promise<T> => {
    // Concurrent callers (a listing, a watch and three uploads) share one issue call.
    pending ??= options.issue().then(
      (access) => {
        const received = now();
        // Measured from when it arrived, in this machine's clock: the two clocks need not agree.
        const life = Date.parse(access.expiresAt) - received;
        current = { access, renewAt: received + Math.max(MIN_REUSE_MS, (life * 2) / 3) };
        pending = undefined;
        return access;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };

  const keeper: AccessKeeper<T> = {
    get() {
      if (current && now() < current.renewAt) return Promise.resolve(current.access);
      return issue();
    },
    renew(stale) {
      if (current && current.access.token !== stale.token) return Promise.resolve(current.access);
      current = undefined;
      return issue();
    },
    async run(request) {
      const access = await keeper.get();
      try {
        return await request(access);
      } catch (error) {
        if (!(error instanceof AgentError && error.status === 401)) throw error;
        return request(await keeper.renew(access));
      }
    },
    clear() {
      current = undefined;
    },
  };
  return keeper;
}
