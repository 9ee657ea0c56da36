// Host names as the route table keys them: lower case, port and trailing dot dropped, and nothing that is
// not a host name (the Host header is attacker input and ends up in logs and metrics only through this).

const NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/;

/** The route key for a Host header or a configured host name, or `null` when it is not a valid host. */
export function normalizeHost(value: string | undefined): string | null {
  if (value === undefined) return null;
  let host = value.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end === -1) return null;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    host = host.slice(0, end + 1);
    return IPV6.test(host) ? host : null;
  }
  const colon = host.indexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return null;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return NAME.test(host) ? host : null;
}
