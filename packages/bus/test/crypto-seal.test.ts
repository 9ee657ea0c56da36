// Sealed room keys (HPKE base mode): round trips, and a sealed key opened for another room, epoch or member,
// or with any bit changed, never opens.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BusCryptoError,
  type BusCryptoErrorCode,
  DEFAULT_E2E_SCHEME,
  decodeSealedRoomKey,
  e2eSchemeById,
  encodeSealedRoomKey,
  generateIdentity,
  HPKE_AES_GCM_SCHEME,
  newRoomKey,
  openRoomKey,
  type RoomKeyContext,
  SEALED_ROOM_KEY_BYTES,
  sealRoomKey,
  signPubHex,
  toHex,
} from '../src/crypto/index.js';
import { vectorIdentity } from './vectors/load.js';

// HPKE costs ~1 ms a seal and an open: fewer runs than the frame properties, still every shape.
const RUNS = { numRuns: 100 };
const alice = vectorIdentity('alice');
const bob = vectorIdentity('bob');

async function code(promise: Promise<unknown>): Promise<BusCryptoErrorCode | string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof BusCryptoError ? error.code : String(error);
  }
}

const ctxArb = fc.record({ roomId: fc.string({ minLength: 1, maxLength: 64 }), epoch: fc.nat() });
const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('sealed room keys', () => {
  it('opens what it sealed, for any room id, epoch and key', async () => {
    await fc.assert(
      fc.asyncProperty(ctxArb, keyArb, async ({ roomId, epoch }, roomKey) => {
        const ctx = { roomId, epoch, recipientSignPubHex: signPubHex(bob) };
        const sealed = await sealRoomKey(bob.kexPub, roomKey, ctx);
        expect(sealed.byteLength).toBe(SEALED_ROOM_KEY_BYTES);
        const stored = encodeSealedRoomKey(sealed);
        expect(toHex(await openRoomKey(bob, decodeSealedRoomKey(stored), ctx))).toBe(toHex(roomKey));
      }),
      RUNS,
    );
  });

  it('does not open for another room, epoch or recipient', async () => {
    const otherArb = fc.oneof(
      fc.string({ minLength: 1, maxLength: 64 }).map((roomId) => ({ roomId })),
      fc.nat().map((epoch) => ({ epoch })),
      fc.constant({ recipientSignPubHex: signPubHex(alice) }),
    );
    await fc.assert(
      fc.asyncProperty(ctxArb, keyArb, otherArb, async ({ roomId, epoch }, roomKey, change) => {
        const ctx: RoomKeyContext = { roomId, epoch, recipientSignPubHex: signPubHex(bob) };
        const moved = { ...ctx, ...change };
        fc.pre(JSON.stringify(moved) !== JSON.stringify(ctx));
        const sealed = await sealRoomKey(bob.kexPub, roomKey, ctx);
        expect(await code(openRoomKey(bob, sealed, moved))).toBe('bus_room_key_unopenable');
      }),
      RUNS,
    );
  });

  it('does not open with another member’s key, even naming that member', async () => {
    const ctx = { roomId: 'r', epoch: 1, recipientSignPubHex: signPubHex(bob) };
    const sealed = await sealRoomKey(bob.kexPub, newRoomKey(), ctx);
    expect(await code(openRoomKey(alice, sealed, ctx))).toBe('bus_room_key_unopenable');
    expect(await code(openRoomKey(alice, sealed, { ...ctx, recipientSignPubHex: signPubHex(alice) }))).toBe(
      'bus_room_key_unopenable',
    );
  });

  it('does not open with any bit flipped', async () => {
    const ctx = { roomId: 'r', epoch: 1, recipientSignPubHex: signPubHex(bob) };
    const sealed = await sealRoomKey(bob.kexPub, newRoomKey(), ctx);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: SEALED_ROOM_KEY_BYTES * 8 - 1 }), async (bit) => {
        const flipped = Uint8Array.from(sealed);
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(await code(openRoomKey(bob, flipped, ctx))).toBe('bus_room_key_unopenable');
      }),
      RUNS,
    );
  });

  it('treats the recipient hex case-insensitively (it is lower-cased before use)', async () => {
    const roomKey = newRoomKey();
    const upper = { roomId: 'r', epoch: 2, recipientSignPubHex: signPubHex(bob).toUpperCase() };
    const sealed = await sealRoomKey(bob.kexPub, roomKey, upper);
    expect(toHex(await openRoomKey(bob, sealed, { ...upper, recipientSignPubHex: signPubHex(bob) }))).toBe(
      toHex(roomKey),
    );
  });

  it('refuses keys of the wrong size, bad contexts and malformed sealed strings with typed errors', async () => {
    const ctx = { roomId: 'r', epoch: 1, recipientSignPubHex: signPubHex(bob) };
    expect(await code(sealRoomKey(new Uint8Array(31), newRoomKey(), ctx))).toBe('bus_key_invalid');
    expect(await code(sealRoomKey(bob.kexPub, new Uint8Array(16), ctx))).toBe('bus_key_invalid');
    expect(await code(sealRoomKey(bob.kexPub, newRoomKey(), { ...ctx, recipientSignPubHex: 'abc' }))).toBe(
      'bus_key_invalid',
    );
    expect(await code(sealRoomKey(bob.kexPub, newRoomKey(), { ...ctx, roomId: '' }))).toBe(
      'bus_frame_invalid',
    );
    expect(await code(sealRoomKey(bob.kexPub, newRoomKey(), { ...ctx, epoch: -1 }))).toBe(
      'bus_frame_invalid',
    );
    // A low-order point: the shared secret would be all zeros.
    expect(await code(sealRoomKey(new Uint8Array(32), newRoomKey(), ctx))).toBe('bus_key_invalid');
    expect(await code(openRoomKey(bob, new Uint8Array(SEALED_ROOM_KEY_BYTES - 1), ctx))).toBe(
      'bus_room_key_unopenable',
    );
    const stored = encodeSealedRoomKey(await sealRoomKey(bob.kexPub, newRoomKey(), ctx));
    expect(() => decodeSealedRoomKey(`${stored}A`)).toThrow(BusCryptoError);
    // 80 bytes leave two unused low bits in the last character: setting one re-spells the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = stored.slice(0, -1) + alphabet.charAt(alphabet.indexOf(stored.slice(-1)) ^ 1);
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(stored, 'base64url'));
    expect(() => decodeSealedRoomKey(respelled)).toThrow(BusCryptoError);
    expect(() => decodeSealedRoomKey(stored.slice(0, -4))).toThrow(BusCryptoError);
  });

  it('makes 32-byte room keys that differ', () => {
    const keys = new Set(Array.from({ length: 100 }, () => toHex(newRoomKey())));
    expect(keys.size).toBe(100);
    expect(newRoomKey().byteLength).toBe(32);
  });
});

describe('E2EScheme', () => {
  it('names today’s scheme and finds it by id', () => {
    expect(DEFAULT_E2E_SCHEME).toBe(HPKE_AES_GCM_SCHEME);
    expect(HPKE_AES_GCM_SCHEME.id).toBe('hpke-x25519-aes128gcm+aes256gcm/v1');
    expect(e2eSchemeById('hpke-x25519-aes128gcm+aes256gcm/v1')).toBe(HPKE_AES_GCM_SCHEME);
    expect(e2eSchemeById('mls/v1')).toBeUndefined();
  });

  it('seals a room key and a payload through the interface', async () => {
    const scheme = HPKE_AES_GCM_SCHEME;
    const member = generateIdentity();
    const ctx = { roomId: 'r', epoch: 4, recipientSignPubHex: signPubHex(member) };
    const roomKey = scheme.newRoomKey();
    const opened = await scheme.openRoomKey(
      member,
      await scheme.sealRoomKey(member.kexPub, roomKey, ctx),
      ctx,
    );
    expect(toHex(opened)).toBe(toHex(roomKey));
    const header = {
      v: 1,
      roomId: 'r',
      epoch: 4,
      sender: 'x'.repeat(43),
      id: '01J00000000000000000000000',
    } as const;
    const sealed = scheme.encryptPayload(opened, header, new TextEncoder().encode('hi'));
    expect(new TextDecoder().decode(scheme.decryptPayload(roomKey, header, sealed))).toBe('hi');
    expect(scheme.decryptPayload(roomKey, { ...header, epoch: 5 }, sealed)).toBeUndefined();
  });
});
