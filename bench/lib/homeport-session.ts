// Logs in to a running Homeport as its first admin, for benchmarks of session-authenticated requests.

import http, { type IncomingHttpHeaders } from 'node:http';
import type { HomeportInstance } from '@homeport/testkit';

export interface Session {
  /** For `Authorization: Bearer`. */
  token: string;
  /** `homeport_session=<value>`, for a `Cookie` header. */
  cookie: string;
}

/**
 * Signs in over a connection of its own that is closed after the answer (no keep-alive agent): an idle
 * connection left open by the benchmark process would be a 65th from 127.0.0.1 next to wrk's 64, and the
 * server's per-address cap would then close one of wrk's new, not yet authenticated connections (a read
 * error that voids the run).
 */
export async function logIn(homeport: HomeportInstance): Promise<Session> {
  const body = JSON.stringify({ username: 'admin', password: homeport.adminPassword });
  const { status, headers, text } = await new Promise<{
    status: number;
    headers: IncomingHttpHeaders;
    text: string;
  }>((resolve, reject) => {
    const request = http.request(
      `${homeport.url}/api/v1/auth/login`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
  if (status !== 200) throw new Error(`login failed: ${status} ${text}`);
  // The documented login answer: { token, user, expiresAt }.
  const { token } = JSON.parse(text) as { token: unknown };
  const cookie = (headers['set-cookie'] ?? [])
    .map((header) => header.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('homeport_session='));
  if (typeof token !== 'string' || cookie === undefined)
    throw new Error('login answered without token or cookie');
  return { token, cookie };
}
