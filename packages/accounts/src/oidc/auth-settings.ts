// The authentication settings in effect: values from flags/env/config file win, then what an admin saved in
// Settings → Authentication, then the defaults. Saving validates, keeps managed fields as configured, seals
// the client secret, and refuses a change that would leave no admin able to sign in.

import type { Config, Setting } from '@homeport/core';
import { AccountsError } from '../errors.js';
import type { Mutex } from '../gate.js';
import { accountsSettings } from '../settings.js';
import type { AccountsStore, StoredAuthSettings } from '../store/repositories.js';
import type { SecretBox } from './secret-box.js';
import {
  type Checked,
  checkClaimName,
  checkEmailDomains,
  checkGroups,
  checkIssuer,
  checkScopes,
} from './setting-rules.js';

export type UnknownUsersPolicy = 'create' | 'refuse';

export interface OidcSettings {
  enabled: boolean;
  /** As configured; null means "the issuer's host name" (see displayNameOf). */
  displayName: string | null;
  issuer: string | null;
  clientId: string | null;
  hasClientSecret: boolean;
  scopes: string[];
  usernameClaim: string;
  groupsClaim: string;
  allowedGroups: string[];
  allowedEmailDomains: string[];
  unknownUsers: UnknownUsersPolicy;
}

export interface AuthSettings {
  localLoginEnabled: boolean;
  /** Whether anyone may create a member account at /register (off by default). */
  registrationEnabled: boolean;
  oidc: OidcSettings;
}

/** OIDC that is switched on and complete enough to send someone to the provider. */
export interface UsableOidc extends OidcSettings {
  issuer: string;
  clientId: string;
  displayName: string;
}

export function usableOidc(settings: AuthSettings): UsableOidc | undefined {
  const { oidc } = settings;
  if (!oidc.enabled || oidc.issuer === null || oidc.clientId === null) return undefined;
  return { ...oidc, issuer: oidc.issuer, clientId: oidc.clientId, displayName: displayNameOf(oidc) };
}

export function displayNameOf(oidc: OidcSettings): string {
  if (oidc.displayName) return oidc.displayName;
  return oidc.issuer ? new URL(oidc.issuer).hostname : 'OpenID Connect';
}

/** A field whose value comes from flags, env or the config file and cannot be changed on the page. */
export interface ManagedField {
  field: string;
  source: 'flag' | 'env' | 'file';
  /** The environment variable (or config key, for the file) to change instead. */
  name: string;
}

export interface AuthSettingsPatch {
  localLoginEnabled?: boolean | undefined;
  registrationEnabled?: boolean | undefined;
  oidc?:
    | {
        enabled?: boolean | undefined;
        displayName?: string | null | undefined;
        issuer?: string | null | undefined;
        clientId?: string | null | undefined;
        /** A new secret; null removes it; absent keeps it. */
        clientSecret?: string | null | undefined;
        scopes?: string[] | undefined;
        usernameClaim?: string | undefined;
        groupsClaim?: string | undefined;
        allowedGroups?: string[] | undefined;
        allowedEmailDomains?: string[] | undefined;
        unknownUsers?: UnknownUsersPolicy | undefined;
      }
    | undefined;
}

type OidcField = keyof NonNullable<AuthSettingsPatch['oidc']>;

const s = accountsSettings;
/** Which setting descriptor pins which field of the page. */
const OIDC_FIELDS: Record<OidcField, Setting<unknown>> = {
  enabled: s.oidcEnabled,
  displayName: s.oidcDisplayName,
  issuer: s.oidcIssuer,
  clientId: s.oidcClientId,
  clientSecret: s.oidcClientSecret,
  scopes: s.oidcScopes,
  usernameClaim: s.oidcUsernameClaim,
  groupsClaim: s.oidcGroupsClaim,
  allowedGroups: s.oidcAllowedGroups,
  allowedEmailDomains: s.oidcAllowedEmailDomains,
  unknownUsers: s.oidcUnknownUsers,
};

const SECRET_PURPOSE = 'oidc.clientSecret';

export interface AuthSettingsManagerOptions {
  store: AccountsStore;
  config: Config;
  box: SecretBox;
  /** Serialises saving with user changes, so the admin-lockout check sees what it guards. */
  mutex: Mutex;
  clock: () => number;
  /** Throws when nobody could sign in as an admin under `next` (see admin-access.ts). */
  assertAdminAccess(next: AuthSettings): Promise<void>;
  /**
   * Reads the provider's discovery document before OIDC is saved as on; throws when it cannot, and answers
   * the issuer as the provider names it (saved instead of what was typed).
   */
  verifyProvider(oidc: UsableOidc, clientSecret: string | undefined): Promise<string>;
}

export type AuthSettingsManager = ReturnType<typeof createAuthSettingsManager>;

export function createAuthSettingsManager(options: AuthSettingsManagerOptions) {
  const { store, config, box } = options;
  const values = config.read(accountsSettings);
  const sourceOf = (setting: Setting<unknown>) => config.sourceOf(setting);
  const pinned = (setting: Setting<unknown>) => sourceOf(setting) !== 'default';

  const managed: ManagedField[] = [
    ['localLoginEnabled', s.localLoginEnabled] as const,
    ['registrationEnabled', s.registrationEnabled] as const,
    ...Object.entries(OIDC_FIELDS).map(([field, setting]) => [`oidc.${field}`, setting] as const),
  ].flatMap(([field, setting]) => {
    const source = sourceOf(setting);
    if (source === 'default') return [];
    return [{ field, source, name: source === 'file' ? setting.key : setting.env }];
  });

  const pick = <T>(setting: Setting<unknown>, configured: T, saved: T | undefined, fallback: T): T => {
    if (pinned(setting)) return configured;
    return saved === undefined ? fallback : saved;
  };

  const resolve = (stored: StoredAuthSettings | undefined): AuthSettings => {
    const saved = stored?.oidc ?? {};
    const enabledByDefault = pinned(s.oidcIssuer) && pinned(s.oidcClientId);
    return {
      localLoginEnabled: pick(s.localLoginEnabled, values.localLoginEnabled, stored?.localLoginEnabled, true),
      registrationEnabled: pick(
        s.registrationEnabled,
        values.registrationEnabled,
        stored?.registrationEnabled,
        values.registrationEnabled,
      ),
      oidc: {
        enabled: pick(s.oidcEnabled, values.oidcEnabled, saved.enabled, enabledByDefault),
        displayName: pick(s.oidcDisplayName, values.oidcDisplayName ?? null, saved.displayName, null),
        issuer: pick(s.oidcIssuer, values.oidcIssuer ?? null, saved.issuer, null),
        clientId: pick(s.oidcClientId, values.oidcClientId ?? null, saved.clientId, null),
        hasClientSecret: pinned(s.oidcClientSecret) || Boolean(saved.clientSecretSealed),
        scopes: pick(s.oidcScopes, values.oidcScopes, saved.scopes, values.oidcScopes),
        usernameClaim: pick(
          s.oidcUsernameClaim,
          values.oidcUsernameClaim,
          saved.usernameClaim,
          values.oidcUsernameClaim,
        ),
        groupsClaim: pick(
          s.oidcGroupsClaim,
          values.oidcGroupsClaim,
          saved.groupsClaim,
          values.oidcGroupsClaim,
        ),
        allowedGroups: pick(s.oidcAllowedGroups, values.oidcAllowedGroups, saved.allowedGroups, []),
        allowedEmailDomains: pick(
          s.oidcAllowedEmailDomains,
          values.oidcAllowedEmailDomains,
          saved.allowedEmailDomains,
          [],
        ),
        unknownUsers: pick(s.oidcUnknownUsers, values.oidcUnknownUsers, saved.unknownUsers, 'create'),
      },
    };
  };

  const secretFrom = (stored: StoredAuthSettings | undefined): string | undefined => {
    if (pinned(s.oidcClientSecret)) return values.oidcClientSecret;
    const sealed = stored?.oidc?.clientSecretSealed;
    if (!sealed) return undefined;
    try {
      return box.open(sealed, SECRET_PURPOSE);
    } catch (error) {
      throw new AccountsError(
        'oidc_misconfigured',
        'The saved OIDC client secret cannot be decrypted (was HOMEPORT_SECRET_KEY or the data dir key changed?); enter it again in Settings → Authentication',
        { cause: error },
      );
    }
  };

  const invalid = (field: string, problem: string) =>
    new AccountsError('invalid_request', `${field} ${problem}`, { details: { field } });

  const checked = <T>(field: string, result: Checked<T>): T => {
    if ('problem' in result) throw invalid(field, result.problem);
    return result.value;
  };

  /** Normal form of one OIDC field from the page, or a 400 naming it. */
  const normalize = (field: OidcField, value: unknown): unknown => {
    const path = `oidc.${field}`;
    switch (field) {
      case 'issuer':
        return value === null ? null : checked(path, checkIssuer(value as string)); // schema: string | null
      case 'scopes':
        return checked(path, checkScopes(value as string[])); // schema: string[]
      case 'usernameClaim':
      case 'groupsClaim':
        return checked(path, checkClaimName(value as string)); // schema: string
      case 'allowedGroups':
        return checked(path, checkGroups(value as string[])); // schema: string[]
      case 'allowedEmailDomains':
        return checked(path, checkEmailDomains(value as string[])); // schema: string[]
      case 'displayName':
      case 'clientId':
        return typeof value === 'string' && value.trim() === ''
          ? null
          : typeof value === 'string'
            ? value.trim()
            : value;
      default:
        return value;
    }
  };

  const sameValue = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

  return {
    managed: (): readonly ManagedField[] => managed,

    async current(): Promise<AuthSettings> {
      return resolve(await store.authSettings.read());
    },

    /** The client secret in effect, decrypted; only the OIDC flow asks for it. */
    async clientSecret(): Promise<string | undefined> {
      return secretFrom(await store.authSettings.read());
    },

    /** Applies a change from the page; fields left out keep their value. Returns the settings now in effect. */
    update(patch: AuthSettingsPatch): Promise<AuthSettings> {
      return options.mutex.lock(async () => {
        const stored = (await store.authSettings.read()) ?? {};
        const before = resolve(stored);
        const next: StoredAuthSettings = { ...stored, oidc: { ...stored.oidc } };
        const nextOidc = next.oidc ?? {};

        if (patch.localLoginEnabled !== undefined) {
          if (pinned(s.localLoginEnabled)) {
            if (patch.localLoginEnabled !== before.localLoginEnabled) throw managedError('localLoginEnabled');
          } else next.localLoginEnabled = patch.localLoginEnabled;
        }
        if (patch.registrationEnabled !== undefined) {
          if (pinned(s.registrationEnabled)) {
            if (patch.registrationEnabled !== before.registrationEnabled)
              throw managedError('registrationEnabled');
          } else next.registrationEnabled = patch.registrationEnabled;
        }
        for (const [key, raw] of Object.entries(patch.oidc ?? {})) {
          if (raw === undefined) continue;
          const field = key as OidcField; // keys of the validated request body
          if (field === 'clientSecret') {
            if (pinned(s.oidcClientSecret)) throw managedError('oidc.clientSecret');
            nextOidc.clientSecretSealed =
              raw === null || raw === '' ? null : box.seal(raw as string, SECRET_PURPOSE); // schema: string | null
            continue;
          }
          const value = normalize(field, raw);
          if (pinned(OIDC_FIELDS[field])) {
            // Sending back the configured value is fine (the page sends the whole form); changing it is not.
            if (!sameValue(value, before.oidc[field])) throw managedError(`oidc.${field}`);
            continue;
          }
          (nextOidc as Record<string, unknown>)[field] = value; // normalize() produced this field's type
        }
        next.oidc = nextOidc;

        let after = resolve(next);
        if (after.oidc.enabled) {
          const usable = usableOidc(after);
          if (!usable) {
            const missing = after.oidc.issuer === null ? 'oidc.issuer' : 'oidc.clientId';
            throw invalid(missing, 'is required to turn sign-in with OIDC on');
          }
          const issuer = await options.verifyProvider(usable, secretFrom(next));
          if (issuer !== usable.issuer && !pinned(s.oidcIssuer)) {
            nextOidc.issuer = issuer;
            after = resolve(next);
          }
        }
        await options.assertAdminAccess(after);
        await store.authSettings.write(next, new Date(options.clock()).toISOString());
        return after;
      });
    },
  };

  function managedError(field: string): AccountsError {
    const entry = managed.find((item) => item.field === field);
    const where =
      entry?.source === 'file' ? `${entry.name} in the config file` : (entry?.name ?? 'the configuration');
    return new AccountsError(
      'setting_managed',
      `${field} is set by ${where}; change it there (values from the environment or config file win over this page)`,
      { details: { field } },
    );
  }
}
