// Settings of the accounts module (with the names betterNAS used as aliases).

import { boolSetting, defineSettings, durationSetting, intSetting, stringSetting } from '@homeport/core';

export const accountsSettings = defineSettings({
  registrationEnabled: boolSetting({
    key: 'accounts.registrationEnabled',
    env: 'HOMEPORT_REGISTRATION_ENABLED',
    aliases: ['BETTERNAS_REGISTRATION_ENABLED'],
    default: true,
    doc: 'Whether anyone may create an account at /register.',
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
});
