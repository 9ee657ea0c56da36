// Writes the checked-in test vectors of the bus crypto from fixed seeds, ids and nonces. Run it only when a
// format changes on purpose (then say so in the commit), and format the output with biome:
//
//   npx tsx packages/bus/test/vectors/generate.ts && npx biome format --write packages/bus/test/vectors
//
// The tests recompute every vector and compare byte for byte, so an accidental format change fails them.
// (unibus-identity.id is hand-written from RFC keys with Python and OpenSSL, not by this script.)

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  deriveMessageKey,
  endpointId,
  FRAME_VERSION,
  frameAad,
  frameSignedBytes,
  fromBase64Url,
  fromHex,
  HPKE_SUITE,
  type Identity,
  identityFromSeeds,
  identityToJson,
  ROOM_KEY_INFO,
  requestBodyHash,
  requestSignedBytes,
  roomKeyAad,
  sealFrame,
  sealRoomKey,
  signPubHex,
  signRequest,
  toBase64Url,
  toHex,
} from '../../src/crypto/index.js';

const dir = import.meta.dirname;

function hex(text: string): Uint8Array {
  const bytes = fromHex(text);
  if (bytes === undefined) throw new Error(`bad hex ${text}`);
  return bytes;
}

/** Seeds from RFC 8032 §7.1 (Ed25519 tests 1–2) and RFC 7748 §6.1 (Alice, Bob). */
const IDENTITY_SEEDS = {
  alice: {
    signSeed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    kexPriv: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  },
  bob: {
    signSeed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    kexPriv: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  },
} as const;

type Name = keyof typeof IDENTITY_SEEDS;
const identities = Object.fromEntries(
  Object.entries(IDENTITY_SEEDS).map(([name, seeds]) => [
    name,
    identityFromSeeds(hex(seeds.signSeed), hex(seeds.kexPriv)),
  ]),
) as Record<Name, Identity>;

function write(name: string, value: unknown): void {
  writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

write('identities.json', {
  about:
    'Identities from fixed seeds (RFC 8032 §7.1 Ed25519 seeds, RFC 7748 §6.1 X25519 keys); json is unibus format.',
  identities: (Object.keys(identities) as Name[]).map((name) => {
    const identity = identities[name];
    return {
      name,
      signSeed: toHex(identity.signSeed),
      kexPriv: toHex(identity.kexPriv),
      signPub: toHex(identity.signPub),
      kexPub: toHex(identity.kexPub),
      endpointId: endpointId(identity.signPub),
      json: identityToJson(identity),
    };
  }),
});

const sealedCases = [
  { recipient: 'bob', roomId: 'r0general', epoch: 1, roomKey: '00'.repeat(32), ikm: '11'.repeat(32) },
  {
    recipient: 'alice',
    roomId: 'r0general',
    epoch: 7,
    roomKey: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    ikm: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  },
] as const;

write('sealed-room-keys.json', {
  about:
    'Room keys sealed with HPKE base mode; the ephemeral key pair is DeriveKeyPair(ephemeralIkm). sealed = base64url(enc || ct).',
  suite: HPKE_SUITE,
  info: ROOM_KEY_INFO,
  vectors: await Promise.all(
    sealedCases.map(async (c) => {
      const recipient = identities[c.recipient];
      const ctx = { roomId: c.roomId, epoch: c.epoch, recipientSignPubHex: signPubHex(recipient) };
      const sealed = await sealRoomKey(recipient.kexPub, hex(c.roomKey), ctx, { ephemeralIkm: hex(c.ikm) });
      return {
        recipient: c.recipient,
        roomId: c.roomId,
        epoch: c.epoch,
        recipientSignPubHex: ctx.recipientSignPubHex,
        roomKey: c.roomKey,
        ephemeralIkm: c.ikm,
        aad: toHex(roomKeyAad(ctx)),
        sealed: toBase64Url(sealed),
      };
    }),
  ),
});

const ROOM_KEY = '4242424242424242424242424242424242424242424242424242424242424242';
const frameCases = [
  {
    name: 'encrypted-signed',
    roomKey: ROOM_KEY,
    sign: true,
    payload: 'hello, room',
    nonce: '000102030405060708090a0b',
  },
  {
    name: 'encrypted-unsigned',
    roomKey: ROOM_KEY,
    sign: false,
    payload: 'hello, room',
    nonce: 'a0a1a2a3a4a5a6a7a8a9aaab',
  },
  { name: 'plain-signed', roomKey: null, sign: true, payload: 'hello, room', nonce: null },
  { name: 'plain-unsigned', roomKey: null, sign: false, payload: 'hello, room', nonce: null },
  {
    name: 'encrypted-signed-empty',
    roomKey: ROOM_KEY,
    sign: true,
    payload: '',
    nonce: 'ffffffffffffffffffffffff',
  },
] as const;

write('frames.json', {
  about:
    'Frames from alice in room r0general epoch 3 with fixed ids and nonces. payload is UTF-8 text; wire is the exact frame bytes.',
  vectors: frameCases.map((c, index) => {
    const id = `01J0000000000000000000000${index}`;
    const payload = new TextEncoder().encode(c.payload);
    const nonce = c.nonce === null ? undefined : hex(c.nonce);
    const header = {
      v: FRAME_VERSION,
      roomId: 'r0general',
      epoch: 3,
      sender: endpointId(identities.alice.signPub),
      id,
    } as const;
    const { frame, bytes } = sealFrame({
      roomId: header.roomId,
      epoch: header.epoch,
      sender: identities.alice,
      roomKey: c.roomKey === null ? null : hex(c.roomKey),
      sign: c.sign,
      payload,
      id,
      ...(nonce === undefined ? {} : { random: () => nonce }),
    });
    const ciphertext = fromBase64Url(frame.ciphertext);
    if (ciphertext === undefined) throw new Error('unreachable');
    return {
      name: c.name,
      sender: 'alice',
      roomId: header.roomId,
      epoch: header.epoch,
      roomKey: c.roomKey,
      sign: c.sign,
      payload: c.payload,
      id,
      nonce: c.nonce,
      messageKey:
        c.roomKey === null ? null : toHex(deriveMessageKey(hex(c.roomKey), header.roomId, header.epoch)),
      aad: toHex(frameAad(header)),
      signedBytes: toHex(frameSignedBytes(header, ciphertext)),
      wire: new TextDecoder().decode(bytes),
    };
  }),
});

const requestCases = [
  {
    method: 'POST',
    path: '/api/v1/bus/rooms',
    body: '{"name":"general","encrypted":true}',
    timestampSec: 1_750_000_000,
    nonce: 'AAECAwQFBgcICQoLDA0ODw',
  },
  {
    method: 'GET',
    path: '/api/v1/bus/rooms/r0general/keys?epoch=3&since=1',
    body: '',
    timestampSec: 1_750_000_060,
    nonce: 'ZmVkY2JhOTg3NjU0MzIxMA',
  },
] as const;

write('requests.json', {
  about: 'Control-plane request signatures by alice; signedText is the exact signed bytes as UTF-8.',
  vectors: requestCases.map((c) => {
    const bodyHash = requestBodyHash(c.body);
    const signed = requestSignedBytes({ ...c, bodyHash });
    if (signed === undefined) throw new Error('unreachable');
    return {
      signer: 'alice',
      ...c,
      bodyHash,
      signedText: new TextDecoder().decode(signed),
      headers: signRequest(identities.alice, c),
    };
  }),
});
