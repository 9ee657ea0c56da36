// Identities and their files: unibus's format, mode 0600, load never creates, load-or-create never replaces a
// corrupt file, and a wrong size is named in the error.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import {
  BusCryptoError,
  createIdentityFile,
  endpointId,
  generateIdentity,
  identityFromJson,
  identityToJson,
  isSignPubHex,
  loadIdentity,
  loadOrCreateIdentity,
  normalizeSignPubHex,
  signBytes,
  signPubHex,
  verifyBytes,
} from '../src/crypto/index.js';
import { UNIBUS_IDENTITY_FILE, vectorIdentity } from './vectors/load.js';

const b64 = (bytes: Uint8Array | number[]) => Buffer.from(Uint8Array.from(bytes)).toString('base64');

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BusCryptoError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a BusCryptoError');
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('identities', () => {
  it('generates Ed25519 and X25519 keys of 32 bytes that sign and verify', () => {
    const identity = generateIdentity();
    for (const key of Object.values(identity)) expect(key.byteLength).toBe(32);
    const message = new TextEncoder().encode('hello');
    expect(verifyBytes(identity.signPub, message, signBytes(identity, message))).toBe(true);
    expect(verifyBytes(generateIdentity().signPub, message, signBytes(identity, message))).toBe(false);
    expect(identityFromJson(identityToJson(identity))).toEqual(identity);
  });

  it('names identities by hex and endpoint id', () => {
    const alice = vectorIdentity('alice');
    expect(signPubHex(alice)).toMatch(/^[0-9a-f]{64}$/);
    expect(endpointId(alice.signPub)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isSignPubHex(signPubHex(alice).toUpperCase())).toBe(true);
    expect(isSignPubHex(signPubHex(alice).slice(1))).toBe(false);
    expect(isSignPubHex(`${signPubHex(alice).slice(1)}g`)).toBe(false);
    expect(normalizeSignPubHex(signPubHex(alice).toUpperCase())).toBe(signPubHex(alice));
    expect(() => normalizeSignPubHex('abc')).toThrow(BusCryptoError);
    expect(() => endpointId(new Uint8Array(31))).toThrow(BusCryptoError);
  });

  describe('unibus JSON, field by field', () => {
    const alice = vectorIdentity('alice');
    const good = JSON.parse(identityToJson(alice)) as Record<string, string>;
    const signPriv = [...alice.signSeed, ...alice.signPub];
    const bob = vectorIdentity('bob');
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['sign_priv of 32 bytes', { sign_priv: b64(alice.signSeed) }, /^sign_priv: 32 bytes, expected 64$/],
      [
        'sign_pub of 31 bytes',
        { sign_pub: b64(alice.signPub.slice(1)) },
        /^sign_pub: 31 bytes, expected 32$/,
      ],
      ['kex_pub of 33 bytes', { kex_pub: b64([...alice.kexPub, 0]) }, /^kex_pub: 33 bytes, expected 32$/],
      ['kex_priv of 0 bytes', { kex_priv: '' }, /^kex_priv: 0 bytes, expected 32$/],
      ['a missing kex_priv', { kex_priv: undefined }, /^kex_priv: missing/],
      ['a number for sign_pub', { sign_pub: 5 }, /^sign_pub: missing/],
      [
        'base64url in kex_pub',
        { kex_pub: Buffer.from(alice.kexPub).toString('base64url') },
        /^kex_pub: not standard base64$/,
      ],
      [
        'another public half in sign_priv',
        { sign_priv: b64([...alice.signSeed, ...bob.signPub]) },
        /^sign_priv: its public half/,
      ],
      [
        'a seed that does not make sign_pub',
        { sign_pub: b64(bob.signPub), sign_priv: b64([...alice.signSeed, ...bob.signPub]) },
        /^sign_priv: its seed/,
      ],
      ['another kex_pub', { kex_pub: b64(bob.kexPub) }, /^kex_pub is not the public key of kex_priv$/],
    ];

    it.each(cases)('refuses %s, naming the field', (_, change, message) => {
      const json = JSON.stringify({ ...good, ...change });
      expect(() => identityFromJson(json)).toThrow(message);
      try {
        identityFromJson(json);
      } catch (error) {
        expect(error instanceof BusCryptoError && error.code).toBe('bus_identity_invalid');
      }
    });

    it('refuses what is not a JSON object', () => {
      for (const text of ['', 'nope', '[]', 'null', '"x"'])
        expect(() => identityFromJson(text)).toThrow(BusCryptoError);
    });

    it('reads a 64-byte sign_priv as seed || public key, as Go writes it', () => {
      expect(Buffer.from(good.sign_priv ?? '', 'base64')).toEqual(Buffer.from(signPriv));
    });
  });
});

describe('identity files', () => {
  it('writes a new file with mode 0600 in unibus format, leaving no temporary file', async () => {
    const dir = tempDir('hp-bus-identity-');
    const path = join(dir, 'me.id');
    const identity = generateIdentity();
    await createIdentityFile(path, identity);
    expect(modeOf(path)).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(identityToJson(identity));
    expect(readdirSync(dir)).toEqual(['me.id']);
    expect(await loadIdentity(path)).toEqual(identity);
  });

  it('refuses to write over an existing file, which stays as it was', async () => {
    const path = join(tempDir('hp-bus-identity-'), 'me.id');
    const first = generateIdentity();
    await createIdentityFile(path, first);
    const before = readFileSync(path);
    expect((await failure(createIdentityFile(path, generateIdentity()))).code).toBe('bus_identity_exists');
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(join(path, '..'))).toEqual(['me.id']);
  });

  it('loads without ever creating', async () => {
    const dir = tempDir('hp-bus-identity-');
    const path = join(dir, 'missing.id');
    expect((await failure(loadIdentity(path))).code).toBe('bus_identity_not_found');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates on first use with mode 0600, then loads the same identity', async () => {
    const path = join(tempDir('hp-bus-identity-'), 'me.id');
    const created = await loadOrCreateIdentity(path);
    expect(modeOf(path)).toBe(0o600);
    expect(await loadOrCreateIdentity(path)).toEqual(created);
    expect(await loadIdentity(path)).toEqual(created);
  });

  it('gives two concurrent first uses the same identity', async () => {
    const path = join(tempDir('hp-bus-identity-'), 'me.id');
    const [a, b, c] = await Promise.all([
      loadOrCreateIdentity(path),
      loadOrCreateIdentity(path),
      loadOrCreateIdentity(path),
    ]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(await loadIdentity(path)).toEqual(a);
  });

  const corrupt: [string, string | Buffer][] = [
    ['empty', ''],
    ['not JSON', 'sign_pub=...'],
    ['truncated', identityToJson(vectorIdentity('alice')).slice(0, 60)],
    [
      'a wrong size',
      JSON.stringify({ ...JSON.parse(identityToJson(vectorIdentity('alice'))), kex_priv: b64([1, 2, 3]) }),
    ],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    ['too large', 'x'.repeat(70_000)],
  ];

  it.each(corrupt)(
    'never replaces a corrupt file (%s): throws, and the bytes stay identical',
    async (_, content) => {
      const path = join(tempDir('hp-bus-identity-'), 'me.id');
      writeFileSync(path, content, { mode: 0o600 });
      const before = readFileSync(path);
      const { mtimeMs } = statSync(path);
      expect((await failure(loadOrCreateIdentity(path))).code).toBe('bus_identity_invalid');
      expect(readFileSync(path)).toEqual(before);
      expect(statSync(path).mtimeMs).toBe(mtimeMs);
      expect(readdirSync(join(path, '..'))).toEqual(['me.id']);
    },
  );

  it('names the file and the field when a file has a wrong size', async () => {
    const path = join(tempDir('hp-bus-identity-'), 'broken.id');
    writeFileSync(
      path,
      JSON.stringify({ ...JSON.parse(identityToJson(vectorIdentity('bob'))), sign_pub: b64([1]) }),
    );
    const { message } = await failure(loadIdentity(path));
    expect(message).toBe(`${path}: sign_pub: 1 bytes, expected 32`);
  });

  it('round-trips a unibus file byte for byte', async () => {
    const identity = await loadIdentity(UNIBUS_IDENTITY_FILE);
    const path = join(tempDir('hp-bus-identity-'), 'copy.id');
    await createIdentityFile(path, identity);
    expect(readFileSync(path)).toEqual(readFileSync(UNIBUS_IDENTITY_FILE));
  });
});
