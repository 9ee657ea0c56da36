// The name the gateway shows for a bus identity. An identity an account owns (its gateway identity, a device
// it registered) is shown by that account's username, never by the handle it was registered with: a device
// named `bob` before an account `bob` existed (the control plane only refuses a handle that names an existing
// account) would otherwise speak as bob in every room. Identities no account owns (allowlisted by an admin:
// bots, services) keep their handle.

import type { UserDirectory } from '@homeport/core';
import type { BusStore, BusUserRecord } from '../store/repositories.js';

/** How long a username looked up is reused (a renamed account shows its new name after this). */
const TTL_MS = 60_000;
/** Usernames cached at most; past it the cache starts again. */
const MAX_CACHED = 10_000;

export interface Handles {
  /** The shown name of an allowlist entry. */
  of(user: BusUserRecord): Promise<string>;
  /** The shown name of the identity with this key, or `fallback` when it is not on the allowlist. */
  ofSignPub(signPub: string, fallback: string): Promise<string>;
}

export function createHandles(options: {
  users: UserDirectory;
  store: BusStore;
  clock: () => number;
}): Handles {
  const { users, store, clock } = options;
  const cache = new Map<string, { username: string | undefined; at: number }>();

  const username = async (userId: string): Promise<string | undefined> => {
    const cached = cache.get(userId);
    if (cached && clock() - cached.at < TTL_MS) return cached.username;
    const found = await users.find(userId);
    // `find` also matches a username: only the account with this id counts.
    const name = found?.id === userId ? found.username : undefined;
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(userId, { username: name, at: clock() });
    return name;
  };

  const handles: Handles = {
    async of(user) {
      if (user.userId === null) return user.handle;
      // An account gone: its identities are revoked; the handle is all there is to show.
      return (await username(user.userId)) ?? user.handle;
    },
    async ofSignPub(signPub, fallback) {
      const user = await store.users.get(signPub);
      return user ? handles.of(user) : fallback;
    },
  };
  return handles;
}
