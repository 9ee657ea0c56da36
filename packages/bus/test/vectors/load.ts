// The checked-in vectors, typed, for the crypto tests (written by generate.ts; unibus-identity.id by hand).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, type Identity, identityFromSeeds } from '../../src/crypto/index.js';

export const VECTORS_DIR = import.meta.dirname;

function read<T>(name: string): T {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), 'utf8')) as T; // our own checked-in file
}

export function hex(text: string): Uint8Array {
  const bytes = fromHex(text);
  if (bytes === undefined) throw new Error(`not hex: ${text}`);
  return bytes;
}

export interface IdentityVector {
  name: string;
  signSeed: string;
  kexPriv: string;
  signPub: string;
  kexPub: string;
  endpointId: string;
  json: string;
}

export interface SealedKeyVector {
  recipient: string;
  roomId: string;
  epoch: number;
  recipientSignPubHex: string;
  roomKey: string;
  ephemeralIkm: string;
  aad: string;
  sealed: string;
}

export interface FrameVector {
  name: string;
  sender: string;
  roomId: string;
  epoch: number;
  roomKey: string | null;
  sign: boolean;
  payload: string;
  id: string;
  nonce: string | null;
  messageKey: string | null;
  aad: string;
  signedBytes: string;
  wire: string;
}

export interface RequestVector {
  signer: string;
  method: string;
  path: string;
  body: string;
  timestampSec: number;
  nonce: string;
  bodyHash: string;
  signedText: string;
  headers: Record<string, string>;
}

export const identityVectors = read<{ identities: IdentityVector[] }>('identities.json').identities;
export const sealedKeyVectors = read<{
  suite: Record<string, number>;
  info: string;
  vectors: SealedKeyVector[];
}>('sealed-room-keys.json');
export const frameVectors = read<{ vectors: FrameVector[] }>('frames.json').vectors;
export const requestVectors = read<{ vectors: RequestVector[] }>('requests.json').vectors;

/** The vector identities by name (alice, bob), made from their seeds. */
export function vectorIdentity(name: string): Identity {
  const vector = identityVectors.find((candidate) => candidate.name === name);
  if (vector === undefined) throw new Error(`no identity vector ${name}`);
  return identityFromSeeds(hex(vector.signSeed), hex(vector.kexPriv));
}

/** The hand-written unibus identity file (RFC 8032 test 3 seed; X25519 key of RFC 7748 §5.2's first scalar). */
export const UNIBUS_IDENTITY_FILE = join(VECTORS_DIR, 'unibus-identity.id');
export const UNIBUS_IDENTITY = {
  signPub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
  kexPub: '1c9fd88f45606d932a80c71824ae151d15d73e77de38e8e000852e614fae7019',
  /** base64url(SHA-256(signPub)), computed with Python's hashlib. */
  endpointId: '2sBz4BI73qWd2bO9qc9gN_Y6yoJifXq81cSsKd10AD4',
};
