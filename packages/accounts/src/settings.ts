// Settings of the accounts module (with the names betterNAS used as aliases). The authentication ones
// (local login, OIDC) can also be set in Settings → Authentication; a value given here wins and is shown
// there as managed by the configuration.

import {
  boolSetting,
  defineSettings,
  durationSetting,
  enumSetting,
  intSetting,
  listSetting,
  type Setting,
  SettingProblem,
  stringSetting,
} from '@homeport/core';
import {
  type Checked,
  checkClaimName,
  checkEmailDomains,
  checkGroups,
  checkIssuer,
  checkScopes,
} from './oidc/setting-rules.js';

/** The same descriptor with a stricter parser: the rules PUT /api/v1/auth/settings applies too. */
function ruled<T, U>(setting: Setting<T>, rule: (value: NonNullable<T>) => Checked<U>): Setting<U | T> {
  return {
    ...setting,
    parse(raw) {
      const checked = rule(setting.parse(raw) as NonNullable<T>); // parse() never yields undefined
      if ('problem' in checked) throw new SettingProblem(checked.problem);
      return checked.value;
    },
  };
}

export const accountsSettings = defineSettings({
  registrationEnabled: boolSetting({
    key: 'accounts.registrationEnabled',
    env: 'HOMEPORT_REGISTRATION_ENABLED',
    aliases: ['BETTERNAS_REGISTRATION_ENABLED'],
    default: false,
    doc: 'Whether anyone may create a member account at /register. Set here, it overrides Settings → Authentication.',
  }),
  sessionTtl: durationSetting({
    key: 'accounts.sessionTtl',
    env: 'HOMEPORT_SESSION_TTL',
    aliases: ['BETTERNAS_SESSION_TTL'],
    default: '720h',
    minMs: 60_000,
    doc: 'How long a login session lasts.',
  }),
  sessionSweepInterval: durationSetting({
    key: 'accounts.sessionSweepInterval',
    env: 'HOMEPORT_SESSION_SWEEP_INTERVAL',
    default: '10m',
    minMs: 1000,
    doc: 'How often expired sessions are deleted.',
  }),
  registrationsPerIp: intSetting({
    key: 'accounts.registrationsPerIp',
    env: 'HOMEPORT_REGISTRATIONS_PER_IP',
    default: 10,
    min: 1,
    doc: 'Registrations one client IP may attempt per hour (counted before the password is hashed).',
  }),
  apiTokenTtl: durationSetting({
    key: 'accounts.apiTokenTtl',
    env: 'HOMEPORT_API_TOKEN_TTL',
    default: '90d',
    minMs: 3_600_000,
    doc: 'Lifetime of a new API token when its request names none (a token that never expires must be asked for).',
  }),
  clientToken: stringSetting({
    key: 'accounts.clientToken',
    env: 'HOMEPORT_CLIENT_TOKEN',
    aliases: ['BETTERNAS_CONTROL_PLANE_CLIENT_TOKEN'],
    minLength: 16,
    secret: true,
    doc: 'Static bearer token accepted on client routes (scripts, betterNAS clients). At least 16 characters.',
  }),
  adminPassword: stringSetting({
    key: 'accounts.adminPassword',
    env: 'HOMEPORT_ADMIN_PASSWORD',
    minLength: 8,
    secret: true,
    doc: 'Password of the `admin` account created at first launch (generated and printed once when unset).',
  }),
  loginMaxFailuresPerUser: intSetting({
    key: 'accounts.loginThrottle.perUser',
    env: 'HOMEPORT_LOGIN_FAILURES_PER_USER',
    default: 5,
    min: 1,
    doc: 'Failed logins for one username before backoff starts.',
  }),
  loginMaxFailuresPerIp: intSetting({
    key: 'accounts.loginThrottle.perIp',
    env: 'HOMEPORT_LOGIN_FAILURES_PER_IP',
    default: 20,
    min: 1,
    doc: 'Failed logins from one IP before backoff starts.',
  }),
  secretKey: stringSetting({
    key: 'secretKey',
    env: 'HOMEPORT_SECRET_KEY',
    minLength: 32,
    secret: true,
    doc: 'Key that encrypts stored secrets (the OIDC client secret); at least 32 characters. Default: generated once into `<dataDir>/secrets/secret-key`.',
  }),
  localLoginEnabled: boolSetting({
    key: 'accounts.localLogin',
    env: 'HOMEPORT_LOCAL_LOGIN_ENABLED',
    default: true,
    doc: 'Whether people may sign in with username and password. Set here, it overrides Settings → Authentication.',
  }),
  oidcEnabled: {
    ...boolSetting({
      key: 'accounts.oidc.enabled',
      env: 'HOMEPORT_OIDC_ENABLED',
      default: false,
      doc: 'Whether "Sign in with <provider>" (OpenID Connect) is offered.',
    }),
    // Without an explicit value, OIDC is on when the issuer and client id are configured here.
    defaultText: 'on when issuer and client id are set here',
  },
  oidcDisplayName: stringSetting({
    key: 'accounts.oidc.displayName',
    env: 'HOMEPORT_OIDC_DISPLAY_NAME',
    doc: 'Provider name on the login button ("Sign in with …"). Default: the issuer\'s host name.',
  }),
  oidcIssuer: ruled(
    stringSetting({
      key: 'accounts.oidc.issuer',
      env: 'HOMEPORT_OIDC_ISSUER',
      doc: 'Issuer (discovery) URL of the OpenID provider, https:// (http:// only for a loopback provider).',
    }),
    checkIssuer,
  ),
  oidcClientId: stringSetting({
    key: 'accounts.oidc.clientId',
    env: 'HOMEPORT_OIDC_CLIENT_ID',
    minLength: 1,
    doc: 'Client id of Homeport at the provider.',
  }),
  oidcClientSecret: stringSetting({
    key: 'accounts.oidc.clientSecret',
    env: 'HOMEPORT_OIDC_CLIENT_SECRET',
    minLength: 1,
    secret: true,
    doc: 'Client secret of Homeport at the provider (unset for a public client).',
  }),
  oidcScopes: ruled(
    listSetting({
      key: 'accounts.oidc.scopes',
      env: 'HOMEPORT_OIDC_SCOPES',
      default: ['openid', 'profile', 'email'],
      doc: 'Scopes requested, comma-separated (`openid` is always included).',
    }),
    checkScopes,
  ),
  oidcUsernameClaim: ruled(
    stringSetting({
      key: 'accounts.oidc.usernameClaim',
      env: 'HOMEPORT_OIDC_USERNAME_CLAIM',
      default: 'preferred_username',
      doc: 'Claim that names a new Homeport account.',
    }),
    checkClaimName,
  ),
  oidcGroupsClaim: ruled(
    stringSetting({
      key: 'accounts.oidc.groupsClaim',
      env: 'HOMEPORT_OIDC_GROUPS_CLAIM',
      default: 'groups',
      doc: "Claim holding the user's groups (a dotted path such as `realm_access.roles` works too).",
    }),
    checkClaimName,
  ),
  oidcAllowedGroups: ruled(
    listSetting({
      key: 'accounts.oidc.allowedGroups',
      env: 'HOMEPORT_OIDC_ALLOWED_GROUPS',
      default: [],
      doc: 'Only members of one of these groups may sign in (empty, with no domains either: anyone the provider accepts).',
    }),
    checkGroups,
  ),
  oidcAllowedEmailDomains: ruled(
    listSetting({
      key: 'accounts.oidc.allowedEmailDomains',
      env: 'HOMEPORT_OIDC_ALLOWED_EMAIL_DOMAINS',
      default: [],
      doc: 'Also let in people whose verified email is in one of these domains.',
    }),
    checkEmailDomains,
  ),
  oidcUnknownUsers: enumSetting({
    key: 'accounts.oidc.unknownUsers',
    env: 'HOMEPORT_OIDC_UNKNOWN_USERS',
    values: ['create', 'refuse'],
    default: 'create',
    doc: 'A first sign-in with no linked account: `create` a member account, or `refuse` (accounts must be linked first).',
  }),
});
