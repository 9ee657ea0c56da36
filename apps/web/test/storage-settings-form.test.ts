// Settings → Storage: the default access form's state (locked when configured, saved only when changed,
// narrowing confirmed first), its words, and the client calls behind it.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createApiClient } from '../src/api/client';
import type { NasSettings } from '../src/api/types';
import {
  canSave,
  DEFAULT_ACCESS_CHOICES,
  formFromSettings,
  isDefaultAccess,
  isNarrowing,
  managedNote,
  narrowingConsequence,
  savedMessage,
} from '../src/pages/settings/storage/default-access-form';

const editable: NasSettings = { defaultAccess: 'none', managed: null };
const pinned: NasSettings = {
  defaultAccess: 'read-only',
  managed: { source: 'env', name: 'HOMEPORT_NAS_DEFAULT_ACCESS' },
};

describe('default access form', () => {
  it('offers None, Read-only and Read-write, each with one line, Read-write as in betterNAS', () => {
    expect(DEFAULT_ACCESS_CHOICES.map((choice) => choice.label)).toEqual(['None', 'Read-only', 'Read-write']);
    expect(DEFAULT_ACCESS_CHOICES.find((choice) => choice.value === 'read-write')?.description).toBe(
      'Every member sees and mounts every export, as in betterNAS.',
    );
    expect(isDefaultAccess('read-only')).toBe(true);
    expect(isDefaultAccess('write')).toBe(false);
  });

  it('saves only a changed value', () => {
    const form = formFromSettings(editable);
    expect(form).toEqual({ saved: 'none', value: 'none', lockedBy: undefined });
    expect(canSave(form)).toBe(false);
    expect(canSave({ ...form, value: 'read-write' })).toBe(true);
  });

  it('is locked, naming the variable, when the environment sets it', () => {
    const form = formFromSettings(pinned);
    expect(form.lockedBy).toBe('Set by HOMEPORT_NAS_DEFAULT_ACCESS (environment)');
    expect(canSave({ ...form, value: 'read-write' })).toBe(false);
    expect(managedNote({ source: 'file', name: 'nas.defaultAccess' })).toBe(
      'Set by nas.defaultAccess in the config file',
    );
    expect(managedNote(null)).toBeUndefined();
  });

  it('asks before narrowing, since that ends members’ credentials, not before widening', () => {
    const readWrite = formFromSettings({ defaultAccess: 'read-write', managed: null });
    expect(isNarrowing({ ...readWrite, value: 'read-only' })).toBe(true);
    expect(isNarrowing({ ...readWrite, value: 'none' })).toBe(true);
    expect(isNarrowing({ ...formFromSettings(editable), value: 'read-write' })).toBe(false);
    expect(narrowingConsequence('none')).toMatch(/no longer see .* stop working now/);
    expect(narrowingConsequence('read-only')).toMatch(/read-write mount credentials .* stop working now/);
    expect(narrowingConsequence('none')).toMatch(
      /betterNAS agent, credentials keep working until they expire/,
    );
  });

  it('says what the save did', () => {
    expect(savedMessage('none', 'read-write')).toBe('Default access for members: Read-write');
    expect(savedMessage('read-write', 'none')).toBe(
      'Default access for members: None. Mount credentials they held beyond it were ended.',
    );
  });
});

describe('api.nas.settings', () => {
  it('reads with GET and saves with PUT, and turns a pinned setting into an ApiError', async () => {
    const requests: { method: string; url: string; body: unknown }[] = [];
    const api = createApiClient({
      fetch: async (input, init = {}) => {
        const method = init.method ?? 'GET';
        requests.push({
          method,
          url: String(input),
          body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        });
        if (requests.length === 3) {
          return Response.json(
            { error: { code: 'setting_managed', message: 'The default access is set by …' } },
            { status: 409 },
          );
        }
        return Response.json({ defaultAccess: 'read-write', managed: null });
      },
    });

    expect(await api.nas.settings.get()).toEqual({ defaultAccess: 'read-write', managed: null });
    await api.nas.settings.update({ defaultAccess: 'read-write' });
    const refused = await api.nas.settings.update({ defaultAccess: 'none' }).catch((error: unknown) => error);

    expect(requests.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'GET /api/v1/nas/settings',
      'PUT /api/v1/nas/settings',
      'PUT /api/v1/nas/settings',
    ]);
    expect(requests[1]?.body).toEqual({ defaultAccess: 'read-write' });
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, code: 'setting_managed' });
  });
});
