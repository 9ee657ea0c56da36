// Signed control-plane requests, shared by the SDK (signing) and the server (parsing and verifying): an
// Ed25519 signature over the method, the path with its query as sent, the body's SHA-256, a timestamp and a
// nonce. The ±REQUEST_WINDOW_SEC check and the nonce store (replays) are the server's.

import { createHash, randomBytes } from 'node:crypto';
import { fromBase64Url, fromHex, toBase64Url, utf8 } from './encoding.js';
import { BusCryptoError } from './errors.js';
import { type Identity, isSignPubHex, signPubHex } from './identity.js';
import { signBytes, verifyBytes } from './signature.js';

/** First line of the signed bytes. */
export const REQUEST_SIGNATURE_DOMAIN = 'homeport-bus/request/v1';
/** How far (seconds) a request's timestamp may be from the server's clock, either way. */
export const REQUEST_WINDOW_SEC = 60;
/** Header names (lower case, as Node hands them over). */
export const REQUEST_HEADERS = {
  signer: 'x-bus-signer',
  timestamp: 'x-bus-timestamp',
  nonce: 'x-bus-nonce',
  signature: 'x-bus-signature',
} as const;

/** The headers `signRequest` returns (a type alias, so it passes as `Record<string, string>` to fetch). */
export type SignedRequestHeaders = {
  'x-bus-signer': string;
  'x-bus-timestamp': string;
  'x-bus-nonce': string;
  'x-bus-signature': string;
};

/** What a request signature covers. */
export interface SignRequestInput {
  /** HTTP method; upper-cased before signing. */
  method: string;
  /** Path with query, exactly as it will be sent (e.g. `/api/v1/bus/rooms?limit=10`). */
  path: string;
  /** Body bytes (a string is UTF-8); absent means empty. */
  body?: Uint8Array | string;
  /** Unix seconds; now when absent. */
  timestampSec?: number;
  /** base64url, 16–64 characters; 16 random bytes when absent. */
  nonce?: string;
}

/** The signature headers of a request, parsed. */
export interface SignedRequestFields {
  /** The signer's signing public key, lower-case hex. */
  signer: string;
  signPub: Uint8Array;
  timestampSec: number;
  nonce: string;
  signature: Uint8Array;
}

/** Why the signature headers did not parse. */
export type SignedHeadersProblem = 'missing' | 'duplicate' | 'malformed';

/** The result of {@link parseSignedHeaders}: the fields, or the problem and the header it is in. */
export type ParsedSignedHeaders =
  | { ok: true; fields: SignedRequestFields }
  | { ok: false; reason: SignedHeadersProblem; header: string };

const METHOD = /^[A-Z]{1,16}$/;
// A request target as it goes on the wire: no spaces or control characters (and so no line breaks, which
// separate the signed lines).
const PATH = /^\/[\x21-\x7e]*$/;
const TIMESTAMP = /^(?:0|[1-9][0-9]{0,11})$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const BODY_HASH = /^[0-9a-f]{64}$/;

/** Hex SHA-256 of a body (of zero bytes when absent), the form the signed bytes and the server use. */
export function requestBodyHash(body?: Uint8Array | string): string {
  return createHash('sha256')
    .update(body ?? new Uint8Array(0))
    .digest('hex');
}

/**
 * The signed bytes: `homeport-bus/request/v1\n` METHOD `\n` path `\n` hex(sha256(body)) `\n` timestamp `\n`
 * nonce, UTF-8. Undefined when a part could break the line structure (a method that is not a token, a path
 * with spaces or control characters, a body hash that is not 64 lower-case hex).
 */
export function requestSignedBytes(parts: {
  method: string;
  path: string;
  bodyHash: string;
  timestampSec: number;
  nonce: string;
}): Uint8Array | undefined {
  const timestamp = String(parts.timestampSec);
  if (!METHOD.test(parts.method) || !PATH.test(parts.path) || !BODY_HASH.test(parts.bodyHash))
    return undefined;
  if (!Number.isSafeInteger(parts.timestampSec) || !TIMESTAMP.test(timestamp) || !NONCE.test(parts.nonce))
    return undefined;
  return utf8(
    [REQUEST_SIGNATURE_DOMAIN, parts.method, parts.path, parts.bodyHash, timestamp, parts.nonce].join('\n'),
  );
}

/**
 * Signs a control-plane request; returns the four headers to send with it.
 *
 * @example
 *   const headers = signRequest(me, { method: 'POST', path: '/api/v1/bus/rooms', body });
 *   await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 */
export function signRequest(identity: Identity, input: SignRequestInput): SignedRequestHeaders {
  const timestampSec = input.timestampSec ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? toBase64Url(randomBytes(16));
  const signed = requestSignedBytes({
    method: input.method.toUpperCase(),
    path: input.path,
    bodyHash: requestBodyHash(input.body),
    timestampSec,
    nonce,
  });
  if (signed === undefined)
    throw new BusCryptoError(
      'bus_request_invalid',
      'cannot sign this request: the method must be a token, the path start with / and hold no spaces or control characters, the timestamp be whole seconds and the nonce 16–64 base64url characters',
    );
  return {
    'x-bus-signer': signPubHex(identity),
    'x-bus-timestamp': String(timestampSec),
    'x-bus-nonce': nonce,
    'x-bus-signature': toBase64Url(signBytes(identity, signed)),
  };
}

/**
 * Reads the four signature headers (names in lower case, as Node gives them). A header sent twice is refused
 * rather than picked from. The fields are well-formed, not yet verified: the caller checks the signer is
 * allowed, the timestamp is within {@link REQUEST_WINDOW_SEC} and the nonce unused, then verifies.
 */
export function parseSignedHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): ParsedSignedHeaders {
  const values: Partial<Record<keyof typeof REQUEST_HEADERS, string>> = {};
  for (const [name, header] of Object.entries(REQUEST_HEADERS) as [keyof typeof REQUEST_HEADERS, string][]) {
    const value = headers[header];
    if (value === undefined || value === '')
      return { ok: false, reason: 'missing', header: REQUEST_HEADERS[name] };
    if (typeof value !== 'string') return { ok: false, reason: 'duplicate', header: REQUEST_HEADERS[name] };
    values[name] = value;
  }
  const { signer = '', timestamp = '', nonce = '', signature = '' } = values;
  if (!isSignPubHex(signer)) return { ok: false, reason: 'malformed', header: REQUEST_HEADERS.signer };
  if (!TIMESTAMP.test(timestamp))
    return { ok: false, reason: 'malformed', header: REQUEST_HEADERS.timestamp };
  if (!NONCE.test(nonce)) return { ok: false, reason: 'malformed', header: REQUEST_HEADERS.nonce };
  const signatureBytes = fromBase64Url(signature);
  if (signatureBytes?.byteLength !== 64)
    return { ok: false, reason: 'malformed', header: REQUEST_HEADERS.signature };
  const signPub = fromHex(signer);
  if (signPub === undefined) return { ok: false, reason: 'malformed', header: REQUEST_HEADERS.signer };
  return {
    ok: true,
    fields: {
      signer: signer.toLowerCase(),
      signPub,
      timestampSec: Number(timestamp),
      nonce,
      signature: signatureBytes,
    },
  };
}

/**
 * Whether the parsed signature is the signer's over this request. `method` and `path` as the server received
 * them (path with query, undecoded), `bodyHash` from {@link requestBodyHash} of the raw body bytes.
 */
export function verifyRequestSignature(
  fields: SignedRequestFields,
  request: { method: string; path: string; bodyHash: string },
): boolean {
  const signed = requestSignedBytes({
    method: request.method,
    path: request.path,
    bodyHash: request.bodyHash,
    timestampSec: fields.timestampSec,
    nonce: fields.nonce,
  });
  return signed !== undefined && verifyBytes(fields.signPub, signed, fields.signature);
}
