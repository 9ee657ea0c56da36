// The Authentication form's state, and its translation to and from the API: fields set by env or the config
// file are never sent, the client secret only when typed or removed, and a server refusal lands on its field.
import { ApiError, errorMessage } from '../../../api/api-error';
import type { AuthSettings, AuthSettingsUpdate, UnknownUsersPolicy } from '../../../api/types';

export interface AuthSettingsForm {
  localLoginEnabled: boolean;
  registrationEnabled: boolean;
  oidcEnabled: boolean;
  displayName: string;
  issuer: string;
  clientId: string;
  /** A new secret as typed; empty keeps the saved one. */
  clientSecret: string;
  removeClientSecret: boolean;
  /** Space-separated, as providers document them. */
  scopes: string;
  usernameClaim: string;
  groupsClaim: string;
  allowedGroups: string[];
  allowedEmailDomains: string[];
  unknownUsers: UnknownUsersPolicy;
}

export type FormField = keyof AuthSettingsForm;

/** API field path (as in `managed` and in error messages) → form field. */
const fieldByPath: Record<string, FormField> = {
  localLoginEnabled: 'localLoginEnabled',
  registrationEnabled: 'registrationEnabled',
  'oidc.enabled': 'oidcEnabled',
  'oidc.displayName': 'displayName',
  'oidc.issuer': 'issuer',
  'oidc.clientId': 'clientId',
  'oidc.clientSecret': 'clientSecret',
  'oidc.scopes': 'scopes',
  'oidc.usernameClaim': 'usernameClaim',
  'oidc.groupsClaim': 'groupsClaim',
  'oidc.allowedGroups': 'allowedGroups',
  'oidc.allowedEmailDomains': 'allowedEmailDomains',
  'oidc.unknownUsers': 'unknownUsers',
};

export function formFromSettings(settings: AuthSettings): AuthSettingsForm {
  const { oidc } = settings;
  return {
    localLoginEnabled: settings.localLoginEnabled,
    registrationEnabled: settings.registrationEnabled,
    oidcEnabled: oidc.enabled,
    displayName: oidc.displayName ?? '',
    issuer: oidc.issuer ?? '',
    clientId: oidc.clientId ?? '',
    clientSecret: '',
    removeClientSecret: false,
    scopes: oidc.scopes.join(' '),
    usernameClaim: oidc.usernameClaim,
    groupsClaim: oidc.groupsClaim,
    allowedGroups: oidc.allowedGroups,
    allowedEmailDomains: oidc.allowedEmailDomains,
    unknownUsers: oidc.unknownUsers,
  };
}

/** Which form fields env or the config file set, with the variable (or key) to change instead. */
export function managedFields(settings: AuthSettings): Map<FormField, string> {
  const managed = new Map<FormField, string>();
  for (const item of settings.managed) {
    const field = fieldByPath[item.field];
    if (field) managed.set(field, item.source === 'file' ? `${item.name} in the config file` : item.name);
  }
  return managed;
}

const orNull = (text: string) => (text.trim() === '' ? null : text.trim());

/** The PUT body: every field the page may change; managed ones are left out. */
export function updateFromForm(
  form: AuthSettingsForm,
  managed: ReadonlyMap<FormField, string>,
): AuthSettingsUpdate {
  const oidc: NonNullable<AuthSettingsUpdate['oidc']> = {};
  const put = <K extends keyof typeof oidc>(field: FormField, key: K, value: (typeof oidc)[K]) => {
    if (!managed.has(field)) oidc[key] = value;
  };
  put('oidcEnabled', 'enabled', form.oidcEnabled);
  put('displayName', 'displayName', orNull(form.displayName));
  put('issuer', 'issuer', orNull(form.issuer));
  put('clientId', 'clientId', orNull(form.clientId));
  if (form.removeClientSecret) put('clientSecret', 'clientSecret', null);
  else if (form.clientSecret !== '') put('clientSecret', 'clientSecret', form.clientSecret);
  put(
    'scopes',
    'scopes',
    form.scopes.split(/[\s,]+/).filter((scope) => scope !== ''),
  );
  put('usernameClaim', 'usernameClaim', form.usernameClaim.trim());
  put('groupsClaim', 'groupsClaim', form.groupsClaim.trim());
  put('allowedGroups', 'allowedGroups', form.allowedGroups);
  put('allowedEmailDomains', 'allowedEmailDomains', form.allowedEmailDomains);
  put('unknownUsers', 'unknownUsers', form.unknownUsers);
  return {
    ...(managed.has('localLoginEnabled') ? {} : { localLoginEnabled: form.localLoginEnabled }),
    ...(managed.has('registrationEnabled') ? {} : { registrationEnabled: form.registrationEnabled }),
    oidc,
  };
}

/**
 * Where to show a refused save: the server's 400 messages start with the field path
 * (`oidc.issuer must be an https:// URL…`); everything else goes above the Save button.
 */
export function placeSaveError(error: unknown): { field?: FormField; message: string } {
  const message = errorMessage(error);
  if (!(error instanceof ApiError) || error.code !== 'invalid_request') return { message };
  const match = /^([\w.]+) (.*)$/s.exec(message);
  const field = match?.[1] ? fieldByPath[match[1]] : undefined;
  if (!field || !match?.[2]) return { message };
  return { field, message: `${match[2].charAt(0).toUpperCase()}${match[2].slice(1)}` };
}
