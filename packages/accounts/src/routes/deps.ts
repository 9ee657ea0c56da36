// What the accounts routes need, handed over by the module.

import type { SettingValues } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { AccountsError } from '../errors.js';
import type { AccountsGuards } from '../guards.js';
import type { AuthSettingsManager } from '../oidc/auth-settings.js';
import type { IdentityAdmin } from '../oidc/identity-admin.js';
import type { OidcFlow } from '../oidc/oidc-flow.js';
import type { AccountsService } from '../service.js';
import type { accountsSettings } from '../settings.js';
import type { UserRecord } from '../store/repositories.js';

export interface RouteDeps {
  service: AccountsService;
  guards: AccountsGuards;
  settings: SettingValues<typeof accountsSettings>;
  /** Cookie Secure flag: on behind TLS or an https public URL. */
  secureCookies: boolean;
  authSettings: AuthSettingsManager;
  oidc: OidcFlow;
  identities: IdentityAdmin;
  /** HOMEPORT_PUBLIC_URL; without it, absolute URLs (the OIDC redirect URI) come from the request. */
  publicUrl: string | undefined;
  readCookie(request: FastifyRequest, name: string): string | undefined;
}

/** The user a guarded route runs for; the guard in its preHandler has resolved it. */
export function signedInUser(guards: AccountsGuards, request: FastifyRequest): UserRecord {
  const user = guards.userOf(request);
  if (!user) throw new AccountsError('unauthorized', 'Sign in first');
  return user;
}
