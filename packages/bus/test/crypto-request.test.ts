// Signed control-plane requests: what the SDK signs verifies on the server, and a change to the method, path,
// body, timestamp or nonce, or another signer, never does.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BusCryptoError,
  parseSignedHeaders,
  REQUEST_WINDOW_SEC,
  requestBodyHash,
  type SignedRequestHeaders,
  signPubHex,
  signRequest,
  verifyRequestSignature,
} from '../src/crypto/index.js';
import { vectorIdentity } from './vectors/load.js';

const RUNS = { numRuns: 200 };
const alice = vectorIdentity('alice');
const bob = vectorIdentity('bob');

const methodArb = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
const pathArb = fc
  .string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength: 80,
  })
  .map((rest) => `/${rest}`);
const bodyArb = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 512 }));
const timestampArb = fc.integer({ min: 0, max: 99_999_999_999 });
const nonceArb = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: 16,
  maxLength: 64,
});
const requestArb = fc.record({
  method: methodArb,
  path: pathArb,
  body: bodyArb,
  timestampSec: timestampArb,
  nonce: nonceArb,
});

function verifies(
  headers: SignedRequestHeaders | Record<string, string>,
  method: string,
  path: string,
  body: Uint8Array | string,
) {
  const parsed = parseSignedHeaders(headers);
  if (!parsed.ok) return false;
  return verifyRequestSignature(parsed.fields, { method, path, bodyHash: requestBodyHash(body) });
}

describe('request signatures', () => {
  it('verifies what it signed', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const headers = signRequest(alice, request);
        expect(headers['x-bus-signer']).toBe(signPubHex(alice));
        expect(verifies(headers, request.method, request.path, request.body)).toBe(true);
      }),
      RUNS,
    );
  });

  it('fails when the method, path, body, timestamp or nonce changed, or another key signed', () => {
    const changeArb = fc.oneof(
      methodArb.map((method) => ({ method })),
      pathArb.map((path) => ({ path })),
      bodyArb.map((body) => ({ body })),
      timestampArb.map((timestampSec) => ({ timestampSec })),
      nonceArb.map((nonce) => ({ nonce })),
      fc.constant({ signer: signPubHex(bob) }),
    );
    fc.assert(
      fc.property(requestArb, changeArb, (request, change) => {
        const headers: Record<string, string> = { ...signRequest(alice, request) };
        const sent = { ...request };
        if ('method' in change) sent.method = change.method;
        if ('path' in change) sent.path = change.path;
        if ('body' in change) sent.body = change.body;
        if ('timestampSec' in change) headers['x-bus-timestamp'] = String(change.timestampSec);
        if ('nonce' in change) headers['x-bus-nonce'] = change.nonce;
        if ('signer' in change) headers['x-bus-signer'] = change.signer;
        const same =
          sent.method === request.method &&
          sent.path === request.path &&
          requestBodyHash(sent.body) === requestBodyHash(request.body) &&
          headers['x-bus-timestamp'] === String(request.timestampSec) &&
          headers['x-bus-nonce'] === request.nonce &&
          headers['x-bus-signer'] === signPubHex(alice);
        fc.pre(!same);
        expect(verifies(headers, sent.method, sent.path, sent.body)).toBe(false);
      }),
      RUNS,
    );
  });

  it('signs an absent body as the hash of zero bytes, and a string body as its UTF-8', () => {
    expect(requestBodyHash()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(requestBodyHash('')).toBe(requestBodyHash(new Uint8Array(0)));
    expect(requestBodyHash('é')).toBe(requestBodyHash(Uint8Array.of(0xc3, 0xa9)));
    const headers = signRequest(alice, { method: 'get', path: '/api/v1/bus/rooms?limit=1' });
    expect(verifies(headers, 'GET', '/api/v1/bus/rooms?limit=1', '')).toBe(true);
  });

  it('makes a fresh nonce (16 random bytes) and takes now as the timestamp by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const a = signRequest(alice, { method: 'GET', path: '/' });
    const b = signRequest(alice, { method: 'GET', path: '/' });
    expect(a['x-bus-nonce']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a['x-bus-nonce']).not.toBe(b['x-bus-nonce']);
    expect(Number(a['x-bus-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(Number(a['x-bus-timestamp'])).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(REQUEST_WINDOW_SEC).toBe(60);
  });

  it('refuses to sign what would break the signed lines', () => {
    for (const input of [
      { method: 'GET', path: '/a b' },
      { method: 'GET', path: '/a\nb' },
      { method: 'GET', path: 'relative' },
      { method: 'GE T', path: '/' },
      { method: 'GET', path: '/', nonce: 'short' },
      { method: 'GET', path: '/', nonce: 'a+b/c=d_efghijklmnop' },
      { method: 'GET', path: '/', timestampSec: -1 },
      { method: 'GET', path: '/', timestampSec: 1.5 },
    ]) {
      expect(() => signRequest(alice, input)).toThrow(BusCryptoError);
    }
  });

  it('never verifies a request whose path or method could not have been signed', () => {
    const headers = signRequest(alice, { method: 'GET', path: '/x' });
    expect(verifies(headers, 'GET', '/x\n', '')).toBe(false);
    expect(verifies(headers, 'get', '/x', '')).toBe(false);
    const parsed = parseSignedHeaders(headers);
    expect(
      parsed.ok && verifyRequestSignature(parsed.fields, { method: 'GET', path: '/x', bodyHash: 'nothex' }),
    ).toBe(false);
  });
});

describe('signature headers', () => {
  const headers = signRequest(alice, {
    method: 'POST',
    path: '/api/v1/bus/rooms',
    body: '{}',
    nonce: 'n'.repeat(16),
  });

  it('reads well-formed headers, lower-casing the signer', () => {
    const parsed = parseSignedHeaders({ ...headers, 'x-bus-signer': headers['x-bus-signer'].toUpperCase() });
    expect(parsed.ok && parsed.fields.signer).toBe(signPubHex(alice));
    expect(parsed.ok && parsed.fields.nonce).toBe('n'.repeat(16));
    expect(parsed.ok && parsed.fields.signature.byteLength).toBe(64);
  });

  it.each(['x-bus-signer', 'x-bus-timestamp', 'x-bus-nonce', 'x-bus-signature'] as const)(
    'reports a missing %s',
    (name) => {
      expect(parseSignedHeaders({ ...headers, [name]: undefined })).toEqual({
        ok: false,
        reason: 'missing',
        header: name,
      });
      expect(parseSignedHeaders({ ...headers, [name]: '' })).toEqual({
        ok: false,
        reason: 'missing',
        header: name,
      });
      expect(parseSignedHeaders({ ...headers, [name]: [headers[name], headers[name]] })).toEqual({
        ok: false,
        reason: 'duplicate',
        header: name,
      });
    },
  );

  const malformed: [string, string][] = [
    ['x-bus-signer', 'ab'.repeat(31)],
    ['x-bus-signer', `${'ab'.repeat(31)}zz`],
    ['x-bus-timestamp', '01'],
    ['x-bus-timestamp', '-1'],
    ['x-bus-timestamp', '1.5'],
    ['x-bus-timestamp', '1234567890123'],
    ['x-bus-nonce', 'a'.repeat(15)],
    ['x-bus-nonce', 'a'.repeat(65)],
    ['x-bus-nonce', `${'a'.repeat(15)}+`],
    ['x-bus-signature', Buffer.alloc(63).toString('base64url')],
    ['x-bus-signature', Buffer.alloc(64).toString('base64')],
  ];

  it.each(malformed)('reports a malformed %s (%s)', (name, value) => {
    expect(parseSignedHeaders({ ...headers, [name]: value })).toEqual({
      ok: false,
      reason: 'malformed',
      header: name,
    });
  });

  it('accepts nonces of 16 to 64 base64url characters', () => {
    for (const nonce of ['A'.repeat(16), '-_'.repeat(32)]) {
      const signed = signRequest(alice, { method: 'GET', path: '/', nonce });
      expect(verifies(signed, 'GET', '/', '')).toBe(true);
    }
  });
});
