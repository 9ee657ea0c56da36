// Logs in to a running Homeport as its first admin, for benchmarks of session-authenticated requests.

import type { HomeportInstance } from '@homeport/testkit';

export interface Session {
  /** For `Authorization: Bearer`. */
  token: string;
  /** `homeport_session=<value>`, for a `Cookie` header. */
  cookie: string;
}

export async function logIn(homeport: HomeportInstance): Promise<Session> {
  const response = await fetch(`${homeport.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: homeport.adminPassword }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  // The documented login answer: { token, user, expiresAt }.
  const { token } = (await response.json()) as { token: unknown };
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('homeport_session='));
  if (typeof token !== 'string' || cookie === undefined)
    throw new Error('login answered without token or cookie');
  return { token, cookie };
}
