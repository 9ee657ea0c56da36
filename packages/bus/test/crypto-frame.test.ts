// Frames: round trips in every room shape, tampering of any field or bit never yielding another payload, and
// the order of checks (a forged frame must not burn a real id).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BusCryptoError,
  bytesEqual,
  createReplayGuard,
  createUlidFactory,
  endpointId,
  type Frame,
  type Identity,
  isFrameRoomId,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_ROOM_ID_BYTES,
  newRoomKey,
  type OpenFrameOptions,
  openFrame,
  type ReplayGuard,
  sealFrame,
  ulidTime,
} from '../src/crypto/index.js';
import { vectorIdentity } from './vectors/load.js';

const RUNS = { numRuns: 200 };
const alice = vectorIdentity('alice');
const bob = vectorIdentity('bob');
const members = new Map<string, Identity>([
  [endpointId(alice.signPub), alice],
  [endpointId(bob.signPub), bob],
]);
const encoder = new TextEncoder();

interface Room {
  roomId: string;
  epoch: number;
  roomKey: Uint8Array | null;
  signed: boolean;
}

function reader(room: Room, overrides: Partial<OpenFrameOptions> = {}): OpenFrameOptions {
  return {
    roomId: room.roomId,
    // Any epoch gets the key: a changed epoch must fail on the derived key, not on a missing one.
    keyFor: () => room.roomKey ?? undefined,
    senderSignPub: (id) => members.get(id)?.signPub,
    encrypted: room.roomKey !== null,
    signed: room.signed,
    replay: createReplayGuard(),
    nowMs: Date.now(),
    ...overrides,
  };
}

function seal(room: Room, payload: Uint8Array, sender: Identity = alice, id?: string) {
  return sealFrame({
    roomId: room.roomId,
    epoch: room.epoch,
    sender,
    roomKey: room.roomKey,
    sign: room.signed,
    payload,
    ...(id === undefined ? {} : { id }),
  });
}

function reencode(frame: Frame, field: string, value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ ...frame, [field]: value }));
}

const roomIdArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter(isFrameRoomId);
const roomArb = fc.record({
  roomId: roomIdArb,
  epoch: fc.nat(),
  roomKey: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null }),
  signed: fc.boolean(),
});
// A room where tampering must be caught: encrypted (AEAD) or signed.
const guardedRoomArb = roomArb.filter((room) => room.roomKey !== null || room.signed);
// fast-check keeps lengths near 10 unless told otherwise: mix small payloads with lengths over the full 64 KiB.
const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ maxLength: 64 * 1024, size: 'max' }),
);

describe('frame round trips', () => {
  it('opens what it sealed, for any payload, room id, epoch, encrypted or not, signed or not', () => {
    fc.assert(
      fc.property(roomArb, payloadArb, (room, payload) => {
        const { frame, bytes } = seal(room, payload);
        const opened = openFrame(bytes, reader(room));
        expect(opened.ok).toBe(true);
        if (!opened.ok) return;
        expect(bytesEqual(opened.payload, payload)).toBe(true);
        expect(opened.frame).toEqual(frame);
        expect(bytesEqual(opened.senderSignPub, alice.signPub)).toBe(true);
        expect(frame.signature === '').toBe(!room.signed);
      }),
      RUNS,
    );
  });

  it('seals a payload of MAX_PAYLOAD_BYTES with the longest room id under MAX_FRAME_BYTES', () => {
    const room = {
      roomId: 'x'.repeat(MAX_ROOM_ID_BYTES),
      epoch: Number.MAX_SAFE_INTEGER,
      roomKey: newRoomKey(),
      signed: true,
    };
    const { bytes } = seal(room, new Uint8Array(MAX_PAYLOAD_BYTES));
    expect(bytes.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(openFrame(bytes, reader(room)).ok).toBe(true);
  });

  it('refuses to seal a payload over MAX_PAYLOAD_BYTES, an empty room id, a bad epoch or id', () => {
    const room = { roomId: 'r', epoch: 1, roomKey: null, signed: false };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof BusCryptoError ? error.code : String(error);
      }
      return 'no error';
    };
    expect(code(() => seal(room, new Uint8Array(MAX_PAYLOAD_BYTES + 1)))).toBe('bus_frame_too_large');
    expect(code(() => seal({ ...room, roomId: '' }, new Uint8Array(1)))).toBe('bus_frame_invalid');
    expect(code(() => seal({ ...room, roomId: 'x'.repeat(MAX_ROOM_ID_BYTES + 1) }, new Uint8Array(1)))).toBe(
      'bus_frame_invalid',
    );
    expect(code(() => seal({ ...room, epoch: -1 }, new Uint8Array(1)))).toBe('bus_frame_invalid');
    expect(code(() => seal({ ...room, epoch: 1.5 }, new Uint8Array(1)))).toBe('bus_frame_invalid');
    expect(code(() => seal(room, new Uint8Array(1), alice, 'not-a-ulid'))).toBe('bus_frame_invalid');
    expect(code(() => seal({ ...room, roomKey: new Uint8Array(16) }, new Uint8Array(1)))).toBe(
      'bus_key_invalid',
    );
  });
});

describe('frame tampering', () => {
  const FIELDS = ['v', 'roomId', 'epoch', 'sender', 'id', 'ciphertext', 'signature'] as const;

  type Field = (typeof FIELDS)[number];
  type Mutation =
    | { kind: 'flip'; index: number; bit: number }
    | { kind: 'replace'; value: unknown }
    | { kind: 'plausible' };

  /** A bit flipped in one character, any other JSON value, or a plausible value from another frame. */
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), bit: fc.integer({ min: 0, max: 15 }) }),
    fc.record({
      kind: fc.constant('replace' as const),
      value: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constantFrom(null, true, [], {})),
    }),
    fc.constant({ kind: 'plausible' as const }),
  );

  function mutate(frame: Frame, other: Frame, field: Field, mutation: Mutation): unknown {
    const original = frame[field];
    if (mutation.kind === 'replace') return mutation.value;
    if (mutation.kind === 'plausible') {
      if (field === 'sender') return endpointId(bob.signPub);
      if (typeof original === 'number') return original + 1;
      return other[field] === original ? `${original}0` : other[field];
    }
    const text = String(original);
    if (text === '') return 'A';
    const at = mutation.index % text.length;
    const flipped = String.fromCharCode(text.charCodeAt(at) ^ (1 << mutation.bit));
    const changed = text.slice(0, at) + flipped + text.slice(at + 1);
    return typeof original === 'number' ? Number(changed) : changed;
  }

  it('never opens a frame with one field changed (re-encoded JSON) in an encrypted or signed room', () => {
    fc.assert(
      fc.property(
        guardedRoomArb,
        payloadArb,
        fc.constantFrom(...FIELDS),
        mutationArb,
        (room, payload, field, mutation) => {
          const { frame } = seal(room, payload);
          const other = seal(room, payload).frame; // same room, key and payload; another id and nonce
          const value = mutate(frame, other, field, mutation);
          fc.pre(JSON.stringify(value) !== JSON.stringify(frame[field]));
          const opened = openFrame(reencode(frame, field, value), reader(room));
          expect(opened.ok).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('never opens a frame with any bit flipped to another payload', () => {
    fc.assert(
      fc.property(
        guardedRoomArb,
        fc.uint8Array({ maxLength: 2048 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (room, payload, at, bit) => {
          const { bytes } = seal(room, payload);
          const flipped = Uint8Array.from(bytes);
          const index = at % flipped.length;
          flipped[index] = (flipped[index] ?? 0) ^ (1 << bit);
          const opened = openFrame(flipped, reader(room));
          // A flip may leave the parsed frame unchanged (e.g. the case of a hex digit in a \u escape); then the
          // same payload is the right answer. Never another one.
          if (opened.ok) expect(bytesEqual(opened.payload, payload)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('refuses a sender swapped for another member in an encrypted room that is not signed', () => {
    const room = { roomId: 'r', epoch: 1, roomKey: newRoomKey(), signed: false };
    const { frame } = seal(room, encoder.encode('hi'));
    const opened = openFrame(reencode(frame, 'sender', endpointId(bob.signPub)), reader(room));
    expect(opened).toEqual({ ok: false, reason: 'decrypt_failed' });
  });
});

describe('frame checks', () => {
  const room = { roomId: 'r0general', epoch: 3, roomKey: newRoomKey(), signed: true };
  const payload = encoder.encode('hello');
  const reason = (bytes: Uint8Array, options: Partial<OpenFrameOptions> = {}) => {
    const opened = openFrame(bytes, reader(room, options));
    return opened.ok ? 'ok' : opened.reason;
  };

  it('refuses what is not a version-1 frame', () => {
    const { frame, bytes } = seal(room, payload);
    expect(reason(new Uint8Array(MAX_FRAME_BYTES + 1))).toBe('malformed');
    expect(reason(encoder.encode('not json'))).toBe('malformed');
    expect(reason(Uint8Array.from([0xff, ...bytes]))).toBe('malformed');
    expect(reason(encoder.encode(JSON.stringify([frame])))).toBe('malformed');
    expect(reason(encoder.encode(JSON.stringify({ ...frame, extra: 1 })))).toBe('malformed');
    const { signature: _, ...missing } = frame;
    expect(reason(encoder.encode(JSON.stringify(missing)))).toBe('malformed');
    expect(reason(reencode(frame, 'id', frame.id.toLowerCase()))).toBe('malformed');
    expect(reason(reencode(frame, 'ciphertext', `${frame.ciphertext}=`))).toBe('malformed');
    expect(reason(reencode(frame, 'v', 2))).toBe('wrong_version');
    expect(reason(bytes)).toBe('ok');
  });

  it('refuses a non-canonical base64url spelling of the same ciphertext', () => {
    // Two characters left over encode one byte; the last character's low 4 bits must be zero.
    const { frame } = seal({ ...room, roomKey: null, signed: false }, Uint8Array.of(0xff));
    expect(frame.ciphertext).toBe('_w');
    expect(reason(reencode(frame, 'ciphertext', '_x'), { encrypted: false, signed: false })).toBe(
      'malformed',
    );
  });

  it('refuses a frame for another room, from an unknown or revoked sender, or whose key is not the sender’s', () => {
    const { bytes } = seal(room, payload);
    expect(reason(bytes, { roomId: 'r0other' })).toBe('wrong_room');
    expect(reason(bytes, { senderSignPub: () => undefined })).toBe('unknown_sender');
    expect(reason(bytes, { senderSignPub: () => bob.signPub })).toBe('unknown_sender');
  });

  it('refuses an unsigned frame in a signed room, and checks a signature whenever there is one', () => {
    const { frame } = seal(room, payload);
    expect(reason(reencode(frame, 'signature', ''))).toBe('bad_signature');
    const forged = reencode(frame, 'signature', Buffer.alloc(64, 1).toString('base64url'));
    expect(reason(forged)).toBe('bad_signature');
    expect(reason(forged, { signed: false })).toBe('bad_signature');
    const unsigned = sealFrame({
      roomId: room.roomId,
      epoch: 3,
      sender: alice,
      roomKey: room.roomKey,
      sign: false,
      payload,
    });
    expect(reason(unsigned.bytes, { signed: false })).toBe('ok');
  });

  it('needs the key of the frame’s epoch', () => {
    const { bytes } = seal(room, payload);
    expect(reason(bytes, { keyFor: (epoch) => (epoch === 2 ? room.roomKey : undefined) })).toBe('no_key');
    expect(reason(bytes, { keyFor: () => newRoomKey() })).toBe('decrypt_failed');
  });

  it('refuses ids more than five minutes ahead of the reader’s clock', () => {
    const nowMs = Date.now();
    const ahead = (ms: number) => createUlidFactory({ now: () => nowMs + ms })();
    expect(reason(seal(room, payload, alice, ahead(4 * 60_000)).bytes, { nowMs })).toBe('ok');
    expect(reason(seal(room, payload, alice, ahead(5 * 60_000 + 1)).bytes, { nowMs })).toBe('from_future');
  });

  it('checks in order: room, sender, signature, replay, key', () => {
    const replay = createReplayGuard();
    const { frame, bytes } = seal(room, payload);
    const badSignature = reencode(frame, 'signature', Buffer.alloc(64, 1).toString('base64url'));
    expect(reason(badSignature, { roomId: 'other' })).toBe('wrong_room');
    expect(reason(badSignature, { senderSignPub: () => undefined })).toBe('unknown_sender');
    expect(reason(badSignature, { replay, keyFor: () => undefined })).toBe('bad_signature');
    expect(reason(bytes, { replay })).toBe('ok');
    expect(reason(bytes, { replay, keyFor: () => undefined })).toBe('replay');
  });

  it('records an id only once the frame verified: a forged frame does not burn a real id', () => {
    const replay: ReplayGuard = createReplayGuard();
    const real = seal(room, payload);
    const forgedSignature = reencode(real.frame, 'signature', Buffer.alloc(64, 7).toString('base64url'));
    expect(reason(forgedSignature, { replay })).toBe('bad_signature');
    // Unsigned and encrypted: a forged ciphertext fails decryption, after the replay check.
    const unsignedRoom = { ...room, signed: false };
    const unsignedReal = seal(unsignedRoom, payload);
    const ciphertext = Buffer.from(unsignedReal.frame.ciphertext, 'base64url');
    ciphertext[ciphertext.length - 1] = (ciphertext[ciphertext.length - 1] ?? 0) ^ 1;
    const forgedCiphertext = reencode(unsignedReal.frame, 'ciphertext', ciphertext.toString('base64url'));
    expect(reason(forgedCiphertext, { replay, signed: false })).toBe('decrypt_failed');
    expect(reason(real.bytes, { keyFor: () => undefined, replay })).toBe('no_key');
    expect(replay.size(room.roomId)).toBe(0);
    expect(reason(real.bytes, { replay })).toBe('ok');
    expect(reason(unsignedReal.bytes, { replay, signed: false })).toBe('ok');
    expect(reason(real.bytes, { replay })).toBe('replay');
    expect(reason(unsignedReal.bytes, { replay, signed: false })).toBe('replay');
  });

  it('stamps frames with monotonic ULIDs of the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, () => seal(room, payload).frame.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ulidTime(ids[0] ?? '')).toBeGreaterThanOrEqual(before);
  });
});
