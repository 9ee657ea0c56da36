// NATS key pairs derived from HOMEPORT_SECRET_KEY, so every node of a managed cluster holds the same operator
// and accounts without copying key files. docs/design.md, "NATS: one identity for a cluster", explains why.

import { hkdfSync } from 'node:crypto';
import { fromSeed, type KeyPair } from '@nats-io/nkeys';

/** The nkey roles Homeport derives; the numbers are nkeys' prefix bytes (`Prefix` in @nats-io/nkeys). */
const ROLE = { operator: 14 << 3, account: 0 } as const;
const SEED_PREFIX = 18 << 3;

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), the checksum nkeys appends, little-endian. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as nkeys writes seeds. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The nkey seed text (`SO…`, `SA…`) of a 32-byte Ed25519 seed. @nats-io/nkeys builds seeds only from random
 * bytes (its encoder is internal), so the documented format is written here; `fromSeed` then checks it.
 */
function encodeSeed(role: number, raw: Uint8Array): string {
  if (raw.length !== 32) throw new Error('an nkey seed is 32 bytes');
  const body = new Uint8Array(2 + raw.length + 2);
  body[0] = SEED_PREFIX | (role >> 5);
  body[1] = (role & 31) << 3;
  body.set(raw, 2);
  const checksum = crc16(body.subarray(0, 2 + raw.length));
  body[2 + raw.length] = checksum & 0xff;
  body[3 + raw.length] = checksum >> 8;
  return base32(body);
}

/** The keys of the identity, each derived under its own label. */
export type DerivedKeyLabel =
  | 'operator'
  | 'operator-signing'
  | `account-${string}`
  | `account-${string}-signing`;

/** Derives key pairs of the cluster identity; the same secret key gives the same pairs on every node. */
export type KeyDeriver = (label: DerivedKeyLabel) => KeyPair;

/**
 * HKDF-SHA256 of the secret key with one label per key: a derived seed reveals neither the secret key nor any
 * other derived seed.
 *
 * @example
 *   const derive = clusterKeyDeriver(secretKey);
 *   derive('operator').getPublicKey(); // the same `O…` on every node given this secret key
 */
export function clusterKeyDeriver(secretKey: string): KeyDeriver {
  return (label) => {
    const raw = new Uint8Array(
      hkdfSync('sha256', secretKey, 'homeport', `homeport-nats-identity:${label}`, 32),
    );
    const role = label.startsWith('operator') ? ROLE.operator : ROLE.account;
    return fromSeed(new TextEncoder().encode(encodeSeed(role, raw)));
  };
}
