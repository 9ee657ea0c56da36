// The Authentication form's translation to the API, and the words shown for OIDC callback errors.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createApiClient } from '../src/api/client';
import type { AuthSettings } from '../src/api/types';
import { oidcErrorMessage } from '../src/pages/auth/oidc-error-message';
import {
  formFromSettings,
  managedFields,
  placeSaveError,
  updateFromForm,
} from '../src/pages/settings/authentication/auth-settings-form';

const settings: AuthSettings = {
  localLoginEnabled: true,
  registrationEnabled: false,
  oidc: {
    enabled: true,
    displayName: null,
    issuer: 'https://auth.example.com/application/o/homeport/',
    clientId: 'homeport',
    clientSecretSet: true,
    scopes: ['openid', 'profile', 'email'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    allowedGroups: ['staff'],
    allowedEmailDomains: [],
    unknownUsers: 'create',
    redirectUri: 'https://home.example.com/api/v1/auth/oidc/callback',
    postLogoutRedirectUri: 'https://home.example.com/login',
  },
  managed: [
    { field: 'oidc.issuer', source: 'env', name: 'HOMEPORT_OIDC_ISSUER' },
    { field: 'oidc.clientSecret', source: 'file', name: 'accounts.oidc.clientSecret' },
  ],
};

describe('Authentication form', () => {
  it('sends every field the page may change, and never a managed one or an untouched secret', () => {
    const form = formFromSettings(settings);
    expect(form.scopes).toBe('openid profile email');
    const update = updateFromForm({ ...form, scopes: 'openid, groups  email' }, managedFields(settings));
    expect(update).toEqual({
      localLoginEnabled: true,
      registrationEnabled: false,
      oidc: {
        enabled: true,
        displayName: null,
        clientId: 'homeport',
        scopes: ['openid', 'groups', 'email'],
        usernameClaim: 'preferred_username',
        groupsClaim: 'groups',
        allowedGroups: ['staff'],
        allowedEmailDomains: [],
        unknownUsers: 'create',
      },
    });
  });

  it('sends the registration switch, unless the configuration sets it', () => {
    const form = { ...formFromSettings(settings), registrationEnabled: true };
    expect(updateFromForm(form, managedFields(settings)).registrationEnabled).toBe(true);
    const managed = managedFields({
      ...settings,
      managed: [{ field: 'registrationEnabled', source: 'env', name: 'HOMEPORT_REGISTRATION_ENABLED' }],
    });
    expect(managed.get('registrationEnabled')).toBe('HOMEPORT_REGISTRATION_ENABLED');
    expect(updateFromForm(form, managed)).not.toHaveProperty('registrationEnabled');
  });

  it('sends a typed secret, or null to remove the saved one', () => {
    const form = formFromSettings({ ...settings, managed: [] });
    expect(updateFromForm({ ...form, clientSecret: 's3cret' }, new Map()).oidc?.clientSecret).toBe('s3cret');
    expect(updateFromForm({ ...form, removeClientSecret: true }, new Map()).oidc?.clientSecret).toBeNull();
  });

  it('says where a managed value comes from', () => {
    expect(managedFields(settings).get('issuer')).toBe('HOMEPORT_OIDC_ISSUER');
    expect(managedFields(settings).get('clientSecret')).toBe('accounts.oidc.clientSecret in the config file');
  });

  it('puts a refusal naming a field under that field', () => {
    const refusal = new ApiError({
      status: 400,
      code: 'invalid_request',
      message:
        'oidc.issuer must be an https:// URL (plain http:// is accepted only for a provider on this machine)',
    });
    expect(placeSaveError(refusal)).toEqual({
      field: 'issuer',
      message: 'Must be an https:// URL (plain http:// is accepted only for a provider on this machine)',
    });
    const lockout = new ApiError({
      status: 409,
      code: 'admin_lockout',
      message: 'This would lock every admin out',
    });
    expect(placeSaveError(lockout)).toEqual({ message: 'This would lock every admin out' });
  });
});

describe('OIDC callback errors', () => {
  it('explains a refused group or domain in plain words, naming the provider', () => {
    const { title, message } = oidcErrorMessage('oidc_not_allowed', 'Authentik');
    expect(title).toBe('Your account is not allowed here');
    expect(message).toContain('Your Authentik account is not in a group or email domain');
    expect(message).toContain('Ask an administrator');
  });

  it('has a generic sentence for a code it does not know', () => {
    expect(oidcErrorMessage('something_new', 'Keycloak').message).toContain('Please try again');
  });
});

describe('logout', () => {
  const respond = (response: Response) => ({
    fetch: async () => response,
  });

  it('resolves with the end-session URL for a provider session, and with nothing for a password session', async () => {
    const url = 'https://auth.example.com/end?client_id=homeport';
    const oidc = createApiClient(
      respond(
        new Response(JSON.stringify({ endSessionUrl: url }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    expect(await oidc.auth.logout()).toEqual({ endSessionUrl: url });
    const local = createApiClient(respond(new Response(null, { status: 204 })));
    expect(await local.auth.logout()).toEqual({});
  });
});
