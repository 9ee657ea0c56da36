// JSON calls to a running Homeport's API for benchmarks, and the wait for the embedded agent's export.

import type { HomeportInstance } from '@homeport/testkit';

/** GET (no body) or POST (a JSON body) with a Bearer token; throws on a non-2xx answer. */
export async function apiCall<T>(
  homeport: HomeportInstance,
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${homeport.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  // The documented API shapes; the fields a caller uses are checked by their use.
  return (await response.json()) as T;
}

/** The id of the export labelled `label`, once the embedded agent has reported it (20 s at most). */
export async function exportIdOf(homeport: HomeportInstance, token: string, label: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const exports = await apiCall<{ id: string; label: string }[]>(homeport, '/api/v1/exports', token);
    const found = exports.find((item) => item.label === label);
    if (found !== undefined) return found.id;
    if (Date.now() > deadline) throw new Error(`the embedded agent never reported the ${label} export`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
