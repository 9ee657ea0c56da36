// Who may see and mount an export: admins and the static client token everything; a member what an admin
// shared with them, and on every other export the default access (HOMEPORT_NAS_DEFAULT_ACCESS or what an
// admin chose in Settings → Storage). A grant of "none" hides an export from one member whatever the default.

import type { ConfigSource, Principal } from '@homeport/core';
import { NasError } from '../errors.js';
import type { Access, ExportRecord, GrantAccess, NasStore } from './store/repositories.js';

export type DefaultAccess = GrantAccess;
export const DEFAULT_ACCESS_VALUES: readonly DefaultAccess[] = ['none', 'read-only', 'read-write'];
const STORED_KEY = 'defaultAccess';

/** Admins and the static client token (betterNAS compatibility) see addresses, machine ids and paths. */
export const seesEverything = (principal: Principal): boolean =>
  principal.kind === 'client' || principal.role === 'admin';

/** How much an access value allows, to tell a narrowing from a widening. */
export const accessRank = (access: GrantAccess): number =>
  access === 'read-write' ? 2 : access === 'read-only' ? 1 : 0;

export interface DefaultAccessSetting {
  defaultAccess: DefaultAccess;
  /** Set by the environment, a flag or the config file: the page cannot change it. */
  managed: { source: Exclude<ConfigSource, 'default'>; name: string } | null;
}

export interface AccessPolicyOptions {
  store: NasStore;
  /** HOMEPORT_NAS_DEFAULT_ACCESS when configured. */
  configured: DefaultAccess | undefined;
  /** Where the configured value came from, and the name to change it under. */
  managed: DefaultAccessSetting['managed'];
}

export type AccessPolicy = ReturnType<typeof createAccessPolicy>;

export function createAccessPolicy(options: AccessPolicyOptions) {
  const { store } = options;

  const isDefaultAccess = (value: string | undefined): value is DefaultAccess =>
    DEFAULT_ACCESS_VALUES.includes(value as DefaultAccess);

  const defaultAccess = async (): Promise<DefaultAccess> => {
    if (options.configured !== undefined) return options.configured;
    const stored = await store.settings.get(STORED_KEY);
    return isDefaultAccess(stored) ? stored : 'none';
  };

  return {
    defaultAccess,

    async defaultAccessSetting(): Promise<DefaultAccessSetting> {
      return { defaultAccess: await defaultAccess(), managed: options.managed };
    },

    /** Saves the default; refused when the configuration pins it. Returns the value before. */
    async setDefaultAccess(value: DefaultAccess): Promise<DefaultAccess> {
      const before = await defaultAccess();
      if (options.managed !== null) {
        if (value === before) return before;
        const where =
          options.managed.source === 'file'
            ? `${options.managed.name} in the config file`
            : options.managed.name;
        throw new NasError(
          'setting_managed',
          `The default access is set by ${where}; change it there (values from the environment or config file win over this page)`,
        );
      }
      await store.settings.set(STORED_KEY, value);
      return before;
    },

    /** What the principal may do on one export; undefined: it may not see it. */
    async accessTo(principal: Principal, exportId: string): Promise<Access | undefined> {
      if (seesEverything(principal)) return 'read-write';
      if (principal.kind !== 'user') return undefined;
      const grant = await store.grants.find(exportId, principal.userId);
      const access = grant ? grant.access : await defaultAccess();
      return access === 'none' ? undefined : access;
    },

    /** Exports a principal may see, each with its access. */
    async visibleExports(principal: Principal): Promise<{ record: ExportRecord; access: Access }[]> {
      const all = await store.exports.list();
      if (seesEverything(principal)) {
        return all.map((record) => ({ record, access: 'read-write' as const }));
      }
      if (principal.kind !== 'user') return [];
      const grants = new Map(
        (await store.grants.listForUser(principal.userId)).map((grant) => [grant.exportId, grant.access]),
      );
      const fallback = await defaultAccess();
      return all.flatMap((record) => {
        const access = grants.get(record.id) ?? fallback;
        return access === 'none' ? [] : [{ record, access }];
      });
    },
  };
}
