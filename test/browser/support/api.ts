// The API calls browser tests make around the page: set-up and checks over JSON with a bearer token (no
// cookie, so no CSRF check).

/** A JSON API call; a non-2xx answer throws with its body. */
export async function apiCall<T>(
  baseUrl: string,
  path: string,
  token: string,
  method = 'GET',
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  // The API's own shapes; each test asserts on what it reads.
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A session token for a user, from the login route. */
export async function sessionToken(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login ${username}: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}
