// Mount credentials issued in this browser tab, kept so that opening Mount again (or flipping read-only
// back) reuses the one already issued instead of minting another 24-hour credential each time.

import type { MountProfile } from '../../api/types';

/** A credential with less than this left is not worth handing out again: issue a fresh one. */
export const REUSE_MARGIN_MS = 10 * 60 * 1000;

export interface MountCredentialStore {
  /** The credential for this export and mode that stays valid for at least REUSE_MARGIN_MS after `now`. */
  find(userId: string, exportId: string, readonly: boolean, now: number): MountProfile | undefined;
  remember(userId: string, profile: MountProfile): void;
  /** Drops a revoked credential (by its username). */
  forget(username: string): void;
  /** Keeps only the user's credentials the server still lists as outstanding (revoked elsewhere: gone). */
  retain(userId: string, outstanding: ReadonlySet<string>): void;
}

const slot = (exportId: string, readonly: boolean) => `${exportId}\u0000${readonly ? 'ro' : 'rw'}`;

export function createMountCredentialStore(): MountCredentialStore {
  // Per user, so a different account signing in on this tab never sees the previous one's passwords.
  const byUser = new Map<string, Map<string, MountProfile>>();
  const of = (userId: string) => {
    let profiles = byUser.get(userId);
    if (!profiles) {
      // Only one account uses a tab at a time: the previous one's passwords need not stay in memory.
      byUser.clear();
      profiles = new Map();
      byUser.set(userId, profiles);
    }
    return profiles;
  };
  return {
    find(userId, exportId, readonly, now) {
      const profiles = of(userId);
      const key = slot(exportId, readonly);
      const profile = profiles.get(key);
      if (!profile) return undefined;
      if (new Date(profile.credential.expiresAt).getTime() - now < REUSE_MARGIN_MS) {
        profiles.delete(key);
        return undefined;
      }
      return profile;
    },
    remember(userId, profile) {
      of(userId).set(slot(profile.exportId, profile.readonly), profile);
    },
    forget(username) {
      for (const profiles of byUser.values()) {
        for (const [key, profile] of profiles) {
          if (profile.credential.username === username) profiles.delete(key);
        }
      }
    },
    retain(userId, outstanding) {
      const profiles = of(userId);
      for (const [key, profile] of profiles) {
        if (!outstanding.has(profile.credential.username)) profiles.delete(key);
      }
    },
  };
}

/**
 * The tab's store. Module state on purpose: it outlives the Storage page (navigating away and back reuses
 * what was issued) but never reaches disk — a reload, or closing the tab, forgets the passwords, and the
 * server keeps listing the credentials (Your mount credentials) until they expire or are revoked.
 */
export const tabMountCredentials: MountCredentialStore = createMountCredentialStore();
