// Settings → Authentication (admins only): password sign-in and self-registration on or off, and the OpenID
// provider (issuer, client, scopes, claims, who may get in). Fields set by env or the config file are shown
// but locked.
import {
  Alert,
  Button,
  Fieldset,
  Group,
  Radio,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { type FormEvent, type ReactNode, useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import type { AuthSettings } from '../../../api/types';
import { AsyncContent } from '../../../components/async-content';
import { SecretInput } from '../../../components/secret-input';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { notifySuccess } from '../../../lib/notify';
import {
  type AuthSettingsForm,
  type FormField,
  formFromSettings,
  managedFields,
  placeSaveError,
  updateFromForm,
} from './auth-settings-form';
import { CopyField } from './copy-field';

export default function AuthenticationPanel() {
  const api = useApi();
  const settings = useAsyncData(
    useCallback((signal: AbortSignal) => api.auth.settings.get({ signal }), [api]),
  );
  return (
    <AsyncContent
      result={settings}
      errorTitle="Could not load the authentication settings"
      skeleton={<TableSkeleton />}
    >
      {/* Keyed by the loaded value: a fresh form after each save or reload. */}
      {(loaded) => <SettingsForm key={JSON.stringify(loaded)} settings={loaded} onSaved={settings.reload} />}
    </AsyncContent>
  );
}

function SettingsForm({ settings, onSaved }: { settings: AuthSettings; onSaved: () => void }) {
  const api = useApi();
  const [form, setForm] = useState<AuthSettingsForm>(() => formFromSettings(settings));
  const [pending, setPending] = useState(false);
  const [fieldError, setFieldError] = useState<{ field: FormField; message: string }>();
  const [formError, setFormError] = useState<string>();
  const managed = managedFields(settings);

  const set = <K extends FormField>(field: K, value: AuthSettingsForm[K]) => {
    setForm((current) => ({ ...current, [field]: value }));
    if (fieldError?.field === field) setFieldError(undefined);
  };
  /** Props shared by every input: locked when managed, with the reason, and the server's refusal. */
  const common = (field: FormField, description?: ReactNode) => {
    const by = managed.get(field);
    return {
      disabled: by !== undefined || pending,
      description: by ? `Set by ${by}` : description,
      error: fieldError?.field === field ? fieldError.message : undefined,
    };
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setPending(true);
    setFieldError(undefined);
    setFormError(undefined);
    try {
      await api.auth.settings.update(updateFromForm(form, managed));
      notifySuccess('Authentication settings saved');
      onSaved();
    } catch (error) {
      const placed = placeSaveError(error);
      if (placed.field) setFieldError({ field: placed.field, message: placed.message });
      else setFormError(placed.message);
      setPending(false);
    }
  };

  const oidcOff = !form.oidcEnabled;
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack gap="lg" maw={720}>
        <Switch
          label="Password sign-in"
          checked={form.localLoginEnabled}
          onChange={(event) => set('localLoginEnabled', event.currentTarget.checked)}
          {...common(
            'localLoginEnabled',
            'Username and password. It can be turned off only while an admin can sign in with the provider.',
          )}
        />
        <Switch
          label="Anyone may create an account"
          checked={form.registrationEnabled}
          onChange={(event) => set('registrationEnabled', event.currentTarget.checked)}
          {...common(
            'registrationEnabled',
            form.localLoginEnabled
              ? 'Offers “Create one” on the login page: whoever can open this server gets a member account. Off, only admins add people.'
              : 'Needs password sign-in: registration makes password accounts.',
          )}
        />

        <Fieldset legend="Single sign-on (OpenID Connect)">
          <Stack gap="md">
            <Switch
              label="Sign in with an OpenID provider"
              checked={form.oidcEnabled}
              onChange={(event) => set('oidcEnabled', event.currentTarget.checked)}
              {...common(
                'oidcEnabled',
                'Authentik, Keycloak, or any provider with OpenID Connect discovery.',
              )}
            />
            <Text size="sm">
              Register Homeport at the provider as a confidential client with these two URLs (docs/oidc.md
              walks through Authentik, Keycloak and others).
            </Text>
            <CopyField label="Redirect URI" value={settings.oidc.redirectUri} />
            <CopyField label="Post-logout redirect URI" value={settings.oidc.postLogoutRedirectUri} />
            <TextInput
              label="Issuer URL"
              placeholder="https://auth.example.com/application/o/homeport/"
              value={form.issuer}
              onChange={(event) => set('issuer', event.currentTarget.value)}
              {...common('issuer', "The provider's issuer, or its …/.well-known/openid-configuration URL.")}
            />
            <Group grow align="flex-start">
              <TextInput
                label="Client ID"
                value={form.clientId}
                onChange={(event) => set('clientId', event.currentTarget.value)}
                autoComplete="off"
                {...common('clientId')}
              />
              <SecretInput
                label="Client secret"
                value={form.clientSecret}
                onChange={(event) => set('clientSecret', event.currentTarget.value)}
                placeholder={
                  settings.oidc.clientSecretSet && !form.removeClientSecret ? 'Saved (hidden)' : ''
                }
                autoComplete="new-password"
                {...common(
                  'clientSecret',
                  settings.oidc.clientSecretSet
                    ? 'Leave empty to keep the saved secret.'
                    : 'Stored encrypted.',
                )}
              />
            </Group>
            {settings.oidc.clientSecretSet && !managed.has('clientSecret') && (
              <Switch
                size="xs"
                label="Remove the saved client secret (public client)"
                checked={form.removeClientSecret}
                onChange={(event) => set('removeClientSecret', event.currentTarget.checked)}
                disabled={pending}
              />
            )}
            <TextInput
              label="Provider name"
              placeholder={hostOf(form.issuer) ?? 'Authentik'}
              value={form.displayName}
              onChange={(event) => set('displayName', event.currentTarget.value)}
              {...common('displayName', 'Shown on the login page as “Sign in with …”.')}
            />
            <TextInput
              label="Scopes"
              value={form.scopes}
              onChange={(event) => set('scopes', event.currentTarget.value)}
              {...common(
                'scopes',
                'Space-separated; openid is always requested. Add groups if your provider needs it.',
              )}
            />
            <Group grow align="flex-start">
              <TextInput
                label="Username claim"
                value={form.usernameClaim}
                onChange={(event) => set('usernameClaim', event.currentTarget.value)}
                {...common('usernameClaim', 'Names new accounts.')}
              />
              <TextInput
                label="Groups claim"
                value={form.groupsClaim}
                onChange={(event) => set('groupsClaim', event.currentTarget.value)}
                {...common('groupsClaim', 'A dotted path such as realm_access.roles works too.')}
              />
            </Group>
            <TagsInput
              label="Allowed groups"
              placeholder={form.allowedGroups.length === 0 ? 'Anyone (type a group, then Enter)' : ''}
              value={form.allowedGroups}
              onChange={(value) => set('allowedGroups', value)}
              {...common('allowedGroups', 'Only members of one of these groups may sign in.')}
            />
            <TagsInput
              label="Allowed email domains"
              placeholder={form.allowedEmailDomains.length === 0 ? 'Any (type a domain, then Enter)' : ''}
              value={form.allowedEmailDomains}
              onChange={(value) => set('allowedEmailDomains', value)}
              {...common(
                'allowedEmailDomains',
                'Also let in people whose verified email is in one of these domains.',
              )}
            />
            <Radio.Group
              label="Someone signs in with the provider for the first time"
              value={form.unknownUsers}
              onChange={(value) => set('unknownUsers', value === 'refuse' ? 'refuse' : 'create')}
              {...common('unknownUsers')}
            >
              <Stack gap="xs" mt="xs">
                <Radio
                  value="create"
                  label="Create a member account for them"
                  disabled={common('unknownUsers').disabled}
                />
                <Radio
                  value="refuse"
                  label="Refuse, unless they linked their account first (Settings → Sign-in)"
                  disabled={common('unknownUsers').disabled}
                />
              </Stack>
            </Radio.Group>
            {oidcOff && (
              <Text size="sm" c="dimmed">
                The provider is checked (its discovery document read) when you save with sign-on turned on.
              </Text>
            )}
          </Stack>
        </Fieldset>

        {formError && (
          <Alert color="red" variant="light" title="Not saved" role="alert">
            {formError}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={pending}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function hostOf(issuer: string): string | undefined {
  try {
    return new URL(issuer).hostname;
  } catch {
    // Not a URL yet (the admin is still typing): no host to suggest.
    return undefined;
  }
}
