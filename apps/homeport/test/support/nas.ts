// Helpers for NAS tests against real processes: sign in, find exports, issue mount profiles, raw WebDAV calls.

export interface MountProfileBody {
  exportId: string;
  mountUrl: string;
  readonly: boolean;
  credential: { username: string; password: string; expiresAt: string };
}

export interface ExportBody {
  id: string;
  label: string;
  nasNodeId: string;
  mountPath: string;
  capacityBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
}

export async function api<T>(
  base: string,
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  const text = await response.text();
  // The API's JSON shapes; each test asserts on what it reads.
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function signIn(base: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
