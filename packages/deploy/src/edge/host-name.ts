// Host names an edge may carry. They end up in Caddy's JSON, in nginx `server_name` lines and in file
// names, so anything but a plain DNS name is refused here, before any of those is written.

import { DeployError } from '../errors.js';

// Letters, digits and inner hyphens per label (RFC 1123); no underscore (no public CA signs one), no `*`.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The canonical (lower-case) form of a public host name, or a DeployError `deploy_bad_request`.
 * Wildcards are refused on purpose: a wildcard certificate needs a DNS-01 challenge, which the Debian caddy
 * build has no DNS provider for, and a wildcard file name or `server_name` would match hosts of other stages.
 * IP addresses are refused too (the last label must not be all digits): the edge routes by name.
 */
export function edgeHostName(value: string): string {
  const host = typeof value === 'string' ? value.toLowerCase() : '';
  const labels = host.split('.');
  const valid =
    host.length > 0 &&
    host.length <= 253 &&
    labels.every((label) => LABEL.test(label)) &&
    !/^\d+$/.test(labels[labels.length - 1] ?? '');
  if (!valid) {
    throw new DeployError(
      'deploy_bad_request',
      `not a host name the edge can carry: ${JSON.stringify(String(value).slice(0, 80))} (letters, digits, inner hyphens and dots only; no wildcard, port, IP or trailing dot)`,
    );
  }
  return host;
}

/** Every host checked and canonical, duplicates dropped, sorted (so two syncs of one set compare equal). */
export function edgeHostSet(hosts: readonly string[]): string[] {
  return [...new Set(hosts.map(edgeHostName))].sort();
}
