// Which Host names this server answers to: a DNS-rebinding defence. A page on evil.example whose name an
// attacker re-points at 127.0.0.1 reaches us with `Host: evil.example`; only our own names pass.

import { isIP } from 'node:net';

export interface HostAllowlistOptions {
  /** HOMEPORT_PUBLIC_URL: its host name is allowed. */
  publicUrl?: string | undefined;
  /** Further names (HOMEPORT_ALLOWED_HOSTS), e.g. a LAN name next to the public one; `*.example.org` allowed. */
  extra?: readonly string[];
}

export interface HostAllowlist {
  /** Whether a request with this Host header (or X-Forwarded-Host behind a trusted proxy) is for us. */
  allows(host: string | undefined): boolean;
  /** The configured names, for the refusal message. */
  readonly names: readonly string[];
}

/** `host[:port]` or `[v6]:port` → the lower-case name without port and brackets. */
export function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  // A bare IPv6 address has several colons and no port.
  if (colon >= 0 && value.indexOf(':', colon + 1) < 0) return value.slice(0, colon);
  return value.replace(/\.$/, '');
}

/**
 * Builds the allowlist once. Always allowed: loopback names (`localhost`, `*.localhost`) and IP literals —
 * rebinding needs a DNS name, so a Host that is an address cannot carry the attack.
 *
 * @example
 *   const hosts = createHostAllowlist({ publicUrl: 'https://home.example.org', extra: ['nas.lan'] });
 *   hosts.allows('home.example.org:443'); // true
 */
export function createHostAllowlist(options: HostAllowlistOptions): HostAllowlist {
  const exact = new Set<string>(['localhost']);
  const suffixes: string[] = ['.localhost'];
  if (options.publicUrl) exact.add(hostName(new URL(options.publicUrl).host));
  for (const entry of options.extra ?? []) {
    const name = hostName(entry);
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else if (name.length > 0) exact.add(name);
  }
  const decide = (host: string): boolean => {
    const name = hostName(host);
    if (isIP(name) !== 0) return true;
    if (exact.has(name)) return true;
    return suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  };
  // Nearly every request carries the same Host as the one before: the last allowed value is remembered, so
  // the common case is one string compare instead of parsing the name again. The lists never change, so a
  // remembered answer stays right; a refused value is never remembered.
  let lastAllowed: string | undefined;
  return {
    names: [...exact, ...suffixes.map((suffix) => `*${suffix}`)],
    allows(host) {
      // HTTP/1.0 without Host: no browser sends that, so it cannot be a rebinding page.
      if (host === undefined || host === '' || host === lastAllowed) return true;
      if (!decide(host)) return false;
      lastAllowed = host;
      return true;
    },
  };
}
