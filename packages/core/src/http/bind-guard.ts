// Refuses to serve plain HTTP on a public interface unless the operator says so.

import { isIP } from 'node:net';
import { ConfigError } from '../config/load.js';

export function isLoopbackAddress(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  if (address === '::1' || address === '[::1]') return true;
  return address.toLowerCase().startsWith('::ffff:127.');
}

export interface BindSafety {
  bind: string;
  tls: boolean;
  insecurePublic: boolean;
  /** The flag the address came from, for the message (default `--bind`). */
  flag?: string;
}

/** Throws a ConfigError that tells the operator the two ways out. */
export function assertSafeBind({ bind, tls, insecurePublic, flag = '--bind' }: BindSafety): void {
  if (isLoopbackAddress(bind) || tls || insecurePublic) return;
  throw new ConfigError([
    `${flag} ${bind}: refusing to serve plain HTTP on a non-loopback address (passwords and session cookies would cross the network in clear). ` +
      'Give --tls-cert and --tls-key, or put Homeport behind a TLS proxy and pass --insecure-public (HOMEPORT_ALLOW_INSECURE_PUBLIC=1).',
  ]);
}
