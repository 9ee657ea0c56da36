// The checked-in vectors: each is recomputed and compared byte for byte, opened or verified, and where a
// standard publishes the answer (RFC 8032, RFC 7748, RFC 9180) checked against that instead of our own output.
// The frame and request formats are also rebuilt here from docs/bus-crypto.md with node:crypto directly.

import { createCipheriv, createHash, createPublicKey, hkdfSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { describe, expect, it } from 'vitest';
import {
  createReplayGuard,
  decodeSealedRoomKey,
  endpointId,
  frameAad,
  frameSignedBytes,
  fromBase64Url,
  identityFromJson,
  identityToJson,
  loadIdentity,
  openFrame,
  openRoomKey,
  parseSignedHeaders,
  requestBodyHash,
  requestSignedBytes,
  roomKeyAad,
  sealFrame,
  sealRoomKey,
  signBytes,
  signRequest,
  toBase64Url,
  toHex,
  ulidTime,
  verifyBytes,
  verifyRequestSignature,
} from '../src/crypto/index.js';
import {
  frameVectors,
  hex,
  identityVectors,
  requestVectors,
  sealedKeyVectors,
  UNIBUS_IDENTITY,
  UNIBUS_IDENTITY_FILE,
  vectorIdentity,
} from './vectors/load.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** docs/bus-crypto.md's canonical bytes, written again here on purpose (not imported). */
function specCanonical(domain: string, fields: (string | number | Uint8Array)[]): Buffer {
  const parts = [domain, ...fields].map((field) =>
    typeof field === 'string' || typeof field === 'number'
      ? Buffer.from(String(field), 'utf8')
      : Buffer.from(field),
  );
  return Buffer.concat(
    parts.flatMap((part) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(part.length);
      return [length, part];
    }),
  );
}

function ed25519Public(raw: Uint8Array) {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

describe('identity vectors', () => {
  // RFC 8032 §7.1 tests 1–2 public keys, RFC 7748 §6.1 Alice's and Bob's public keys.
  const published: Record<string, { signPub: string; kexPub: string }> = {
    alice: {
      signPub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      kexPub: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    },
    bob: {
      signPub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      kexPub: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
    },
  };

  it.each(identityVectors)('derives $name from its seeds as the RFCs publish', (vector) => {
    const identity = vectorIdentity(vector.name);
    expect(toHex(identity.signPub)).toBe(published[vector.name]?.signPub);
    expect(toHex(identity.kexPub)).toBe(published[vector.name]?.kexPub);
    expect(toHex(identity.signPub)).toBe(vector.signPub);
    expect(toHex(identity.kexPub)).toBe(vector.kexPub);
    const sha = createHash('sha256').update(identity.signPub).digest('base64url');
    expect(endpointId(identity.signPub)).toBe(sha);
    expect(endpointId(identity.signPub)).toBe(vector.endpointId);
  });

  it.each(identityVectors)('writes $name in unibus JSON byte for byte and reads it back', (vector) => {
    const identity = vectorIdentity(vector.name);
    expect(identityToJson(identity)).toBe(vector.json);
    const parsed = JSON.parse(vector.json) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual(['sign_pub', 'sign_priv', 'kex_pub', 'kex_priv']);
    expect(Buffer.from(parsed.sign_priv ?? '', 'base64').toString('hex')).toBe(
      vector.signSeed + vector.signPub,
    );
    expect(identityFromJson(vector.json)).toEqual(identity);
  });

  it('signs as RFC 8032 test 1 publishes (empty message)', () => {
    const signature = signBytes(vectorIdentity('alice'), new Uint8Array(0));
    expect(toHex(signature)).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(verifyBytes(vectorIdentity('alice').signPub, new Uint8Array(0), signature)).toBe(true);
  });

  it('loads the hand-written unibus identity file, and writes it back identically', async () => {
    const identity = await loadIdentity(UNIBUS_IDENTITY_FILE);
    expect(toHex(identity.signPub)).toBe(UNIBUS_IDENTITY.signPub);
    expect(toHex(identity.kexPub)).toBe(UNIBUS_IDENTITY.kexPub);
    expect(endpointId(identity.signPub)).toBe(UNIBUS_IDENTITY.endpointId);
    expect(identityToJson(identity)).toBe(readFileSync(UNIBUS_IDENTITY_FILE, 'utf8'));
  });
});

describe('HPKE', () => {
  it('reproduces RFC 9180 A.1.1 (the suite, raw X25519 keys, a fixed ephemeral IKM) with @hpke/core', async () => {
    const suite = new CipherSuite({
      kem: new DhkemX25519HkdfSha256(),
      kdf: new HkdfSha256(),
      aead: new Aes128Gcm(),
    });
    const info = hex('4f6465206f6e2061204772656369616e2055726e');
    const aad = hex('436f756e742d30');
    const pt = hex('4265617574792069732074727574682c20747275746820626561757479');
    const recipientPublicKey = await suite.kem.deserializePublicKey(
      hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
    );
    const sealed = await suite.seal(
      {
        recipientPublicKey,
        info,
        ekm: hex('7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234'),
      },
      pt,
      aad,
    );
    expect(toHex(new Uint8Array(sealed.enc))).toBe(
      '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
    );
    expect(toHex(new Uint8Array(sealed.ct))).toBe(
      'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
    );
    const recipientKey = await suite.kem.deserializePrivateKey(
      hex('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8'),
    );
    const opened = await suite.open({ recipientKey, enc: sealed.enc, info }, sealed.ct, aad);
    expect(toHex(new Uint8Array(opened))).toBe(toHex(pt));
  });

  it('uses the suite ids and info the vectors name', () => {
    expect(sealedKeyVectors.suite).toEqual({ kem: 0x20, kdf: 1, aead: 1 });
    expect(sealedKeyVectors.info).toBe('homeport-bus/room-key/v1');
  });

  it.each(sealedKeyVectors.vectors)(
    'seals $recipient’s key for epoch $epoch byte for byte, and opens it',
    async (vector) => {
      const recipient = vectorIdentity(vector.recipient);
      const ctx = {
        roomId: vector.roomId,
        epoch: vector.epoch,
        recipientSignPubHex: vector.recipientSignPubHex,
      };
      expect(toHex(roomKeyAad(ctx))).toBe(
        toHex(
          specCanonical('homeport-bus/room-key/v1', [
            vector.roomId,
            vector.epoch,
            vector.recipientSignPubHex,
          ]),
        ),
      );
      expect(toHex(roomKeyAad(ctx))).toBe(vector.aad);
      const sealed = await sealRoomKey(recipient.kexPub, hex(vector.roomKey), ctx, {
        ephemeralIkm: hex(vector.ephemeralIkm),
      });
      expect(toBase64Url(sealed)).toBe(vector.sealed);
      expect(toHex(await openRoomKey(recipient, decodeSealedRoomKey(vector.sealed), ctx))).toBe(
        vector.roomKey,
      );
    },
  );
});

describe('frame vectors', () => {
  it.each(frameVectors)('$name: sealed byte for byte', (vector) => {
    const nonce = vector.nonce === null ? undefined : hex(vector.nonce);
    const { bytes } = sealFrame({
      roomId: vector.roomId,
      epoch: vector.epoch,
      sender: vectorIdentity(vector.sender),
      roomKey: vector.roomKey === null ? null : hex(vector.roomKey),
      sign: vector.sign,
      payload: utf8(vector.payload),
      id: vector.id,
      ...(nonce === undefined ? {} : { random: () => nonce }),
    });
    expect(new TextDecoder().decode(bytes)).toBe(vector.wire);
  });

  it.each(frameVectors)('$name: opens to its payload', (vector) => {
    const sender = vectorIdentity(vector.sender);
    const opened = openFrame(utf8(vector.wire), {
      roomId: vector.roomId,
      keyFor: (epoch) =>
        epoch === vector.epoch && vector.roomKey !== null ? hex(vector.roomKey) : undefined,
      senderSignPub: (id) => (id === endpointId(sender.signPub) ? sender.signPub : undefined),
      encrypted: vector.roomKey !== null,
      signed: vector.sign,
      replay: createReplayGuard(),
      nowMs: ulidTime(vector.id) + 1000,
    });
    expect(opened.ok ? new TextDecoder().decode(opened.payload) : opened.reason).toBe(vector.payload);
  });

  it.each(frameVectors)('$name: matches the documented format, rebuilt with node:crypto', (vector) => {
    const sender = vectorIdentity(vector.sender);
    const frame = JSON.parse(vector.wire) as Record<string, unknown>;
    expect(Object.keys(frame)).toEqual(['v', 'roomId', 'epoch', 'sender', 'id', 'ciphertext', 'signature']);
    const header = {
      v: 1,
      roomId: vector.roomId,
      epoch: vector.epoch,
      sender: endpointId(sender.signPub),
      id: vector.id,
    } as const;
    expect(frame).toMatchObject(header);
    const aad = specCanonical('homeport-bus/frame-aad/v1', [
      1,
      header.roomId,
      header.epoch,
      header.sender,
      header.id,
    ]);
    expect(toHex(aad)).toBe(vector.aad);
    expect(toHex(frameAad(header))).toBe(vector.aad);
    const ciphertext = Buffer.from(String(frame.ciphertext), 'base64url');
    if (vector.roomKey === null || vector.nonce === null) {
      expect(ciphertext.toString('utf8')).toBe(vector.payload);
    } else {
      const info = specCanonical('homeport-bus/message-key/v1', [header.roomId, header.epoch]);
      const messageKey = Buffer.from(hkdfSync('sha256', hex(vector.roomKey), Buffer.alloc(0), info, 32));
      expect(messageKey.toString('hex')).toBe(vector.messageKey);
      const cipher = createCipheriv('aes-256-gcm', messageKey, hex(vector.nonce));
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(utf8(vector.payload)), cipher.final()]);
      expect(ciphertext.toString('hex')).toBe(
        vector.nonce + body.toString('hex') + cipher.getAuthTag().toString('hex'),
      );
    }
    const signed = specCanonical('homeport-bus/frame/v1', [
      1,
      header.roomId,
      header.epoch,
      header.sender,
      header.id,
      ciphertext,
    ]);
    expect(signed.toString('hex')).toBe(vector.signedBytes);
    expect(toHex(frameSignedBytes(header, ciphertext))).toBe(vector.signedBytes);
    if (vector.sign) {
      const signature = fromBase64Url(String(frame.signature));
      expect(signature && verify(null, signed, ed25519Public(sender.signPub), signature)).toBe(true);
    } else {
      expect(frame.signature).toBe('');
    }
  });
});

describe('request vectors', () => {
  it.each(requestVectors)('$method $path: headers byte for byte, and they verify', (vector) => {
    const signer = vectorIdentity(vector.signer);
    expect(signRequest(signer, vector)).toEqual(vector.headers);
    expect(requestBodyHash(vector.body)).toBe(createHash('sha256').update(vector.body).digest('hex'));
    const text = [
      'homeport-bus/request/v1',
      vector.method,
      vector.path,
      vector.bodyHash,
      vector.timestampSec,
      vector.nonce,
    ].join('\n');
    expect(vector.signedText).toBe(text);
    const signed = requestSignedBytes({ ...vector, bodyHash: requestBodyHash(vector.body) });
    expect(signed && new TextDecoder().decode(signed)).toBe(text);
    const signature = Buffer.from(vector.headers['x-bus-signature'] ?? '', 'base64url');
    expect(verify(null, utf8(text), ed25519Public(signer.signPub), signature)).toBe(true);
    const parsed = parseSignedHeaders(vector.headers);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.fields.signer).toBe(toHex(signer.signPub));
    expect(
      verifyRequestSignature(parsed.fields, {
        method: vector.method,
        path: vector.path,
        bodyHash: vector.bodyHash,
      }),
    ).toBe(true);
  });
});
