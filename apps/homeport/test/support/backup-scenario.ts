// What the backup tests (SQLite and KV) share: the binary run as a command, the API calls, and the state
// they put in before a backup and compare after a restore — a member, a grant on the embedded agent's
// export, a NAS setting, and both users' sessions.

import { execFile } from 'node:child_process';
import { HOMEPORT_BUNDLE, type HomeportInstance } from '@homeport/testkit';
import { expect } from 'vitest';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `homeport <args>` from the bundle, with PATH and `env` only (no setting of the test's environment). */
export const runHomeport = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [HOMEPORT_BUNDLE, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

export async function api<T>(
  instance: HomeportInstance,
  path: string,
  token: string,
  method = 'GET',
  body?: unknown,
) {
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export async function login(instance: HomeportInstance, username: string, password: string): Promise<string> {
  const response = await fetch(`${instance.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** The embedded agent's export, once it reported it. */
export async function filesExport(
  instance: HomeportInstance,
  token: string,
): Promise<{ id: string; label: string }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { body } = await api<{ id: string; label: string }[]>(instance, '/api/v1/exports', token);
    const found = body?.find((item) => item.label === 'Files');
    if (found) return found;
    if (Date.now() > deadline) throw new Error('the embedded agent never reported its export');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Seeded {
  admin: string;
  mia: string;
  exportId: string;
}

/** Adds member mia with read-only access to the Files export and sets NAS default access to none. */
export async function seedState(instance: HomeportInstance): Promise<Seeded> {
  const admin = await login(instance, 'admin', instance.adminPassword);
  const created = await api(instance, '/api/v1/users', admin, 'POST', {
    username: 'mia',
    password: 'mia-password-1234',
    role: 'member',
  });
  expect(created.status).toBe(201);
  const mia = await login(instance, 'mia', 'mia-password-1234');
  const files = await filesExport(instance, admin);
  const granted = await api(instance, `/api/v1/exports/${files.id}/grants/mia`, admin, 'PUT', {
    access: 'read-only',
  });
  expect(granted.status).toBe(200);
  const setting = await api(instance, '/api/v1/nas/settings', admin, 'PUT', { defaultAccess: 'none' });
  expect(setting.status).toBe(200);
  return { admin, mia, exportId: files.id };
}

/** Users, the export's grants and the NAS settings, as the admin reads them. */
export async function readState(instance: HomeportInstance, seeded: Seeded) {
  return {
    users: (await api(instance, '/api/v1/users', seeded.admin)).body,
    grants: (await api(instance, `/api/v1/exports/${seeded.exportId}/grants`, seeded.admin)).body,
    settings: (await api(instance, '/api/v1/nas/settings', seeded.admin)).body,
  };
}

/** After a restore: both sessions of before still sign in, the export kept its id, the state is equal. */
export async function expectRestored(
  instance: HomeportInstance,
  seeded: Seeded,
  before: Awaited<ReturnType<typeof readState>>,
): Promise<void> {
  expect((await api<{ username: string }>(instance, '/api/v1/auth/me', seeded.admin)).body?.username).toBe(
    'admin',
  );
  expect((await api<{ username: string }>(instance, '/api/v1/auth/me', seeded.mia)).body?.username).toBe(
    'mia',
  );
  expect((await filesExport(instance, seeded.admin)).id).toBe(seeded.exportId);
  expect(await readState(instance, seeded)).toEqual(before);
}
