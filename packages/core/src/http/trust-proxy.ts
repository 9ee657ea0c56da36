// Which proxies in front of Homeport are believed about the client address (X-Forwarded-For and friends).
// A proxy appends the address it saw to X-Forwarded-For; everything left of that is whatever the client wrote,
// so only the entries added by our own proxies may be believed — counted from the right.

import { BlockList, isIP } from 'node:net';
import { SettingProblem } from '../config/settings.js';

/**
 * `false`: no proxy, the socket address is the client. A number: that many proxies in front, each appending
 * one X-Forwarded-For entry (the client is that many entries from the right). A list: the addresses and CIDR
 * ranges of our proxies (the client is the right-most entry that is not one of them).
 */
export type TrustProxy = false | number | readonly string[];

/** More hops than any real deployment chains; a typo like 100 is refused rather than trusting the client. */
export const MAX_TRUSTED_HOPS = 8;

const ON = new Set(['true', 'yes', 'on']);
const OFF = new Set(['false', 'no', 'off', '0', '']);

/**
 * Parses HOMEPORT_TRUST_PROXY: `false`; `true` (one proxy, kept for configurations written when the setting
 * was a boolean — it used to trust every hop, which let a client choose its own address); a hop count; or
 * comma-separated addresses/CIDRs (`127.0.0.1,10.0.0.0/8`). YAML booleans, numbers and sequences work too.
 */
export function parseTrustProxy(raw: unknown): TrustProxy {
  if (raw === true) return 1;
  if (raw === false) return false;
  if (typeof raw === 'number') return hops(String(raw));
  const items = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : undefined;
  if (items === undefined)
    throw new SettingProblem('must be true, false, a hop count or a list of addresses');
  const cleaned = items.map((item) => item.trim()).filter((item) => item !== '');
  if (cleaned.length <= 1) {
    const text = (cleaned[0] ?? '').toLowerCase();
    if (OFF.has(text)) return false;
    if (ON.has(text)) return 1;
    if (/^\d+$/.test(text)) return hops(text);
  }
  for (const item of cleaned) checkAddress(item);
  return cleaned;
}

function hops(text: string): number | false {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TRUSTED_HOPS)
    throw new SettingProblem(`hop count must be 0 to ${MAX_TRUSTED_HOPS}, got ${text}`);
  return value === 0 ? false : value;
}

function checkAddress(item: string): void {
  const [address = '', prefix, extra] = item.split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
  if (family === 0 || !prefixOk || extra !== undefined)
    throw new SettingProblem(
      `${JSON.stringify(item)} is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8)`,
    );
}

/** How the setting is shown in the configuration reference and `config show`. */
export function formatTrustProxy(value: TrustProxy): string {
  return typeof value === 'object' ? value.join(',') : String(value);
}

/**
 * The value Fastify's `trustProxy` option takes. A hop count becomes a function of the hop (this Fastify
 * treats a bare number as "trust nothing"); `true` from older callers means one hop, never "every hop".
 */
export function fastifyTrustProxy(
  value: TrustProxy | boolean | undefined,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (value === undefined || value === false) return false;
  const hopCount = value === true ? 1 : value;
  if (typeof hopCount === 'number') return (_address, hop) => hop < hopCount;
  return [...hopCount];
}

/**
 * Whether a socket peer is one of our proxies. With a hop count every peer is (the operator says all traffic
 * arrives through the proxy); with a list, the peers in it; with none, nobody.
 */
export function proxyPeerMatcher(value: TrustProxy | boolean | undefined): (address: string) => boolean {
  if (value === undefined || value === false) return () => false;
  if (value === true || typeof value === 'number') return () => true;
  const list = new BlockList();
  for (const item of value) {
    const [address = '', prefix] = item.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}
