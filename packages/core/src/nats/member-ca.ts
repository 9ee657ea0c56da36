// The bus CA and the member listener's server certificate, made with @peculiar/x509 on Node's WebCrypto:
// ECDSA P-256 (what every NATS client's TLS stack accepts, phones included), SHA-256 signatures.

import 'reflect-metadata'; // @peculiar/x509 resolves its ASN.1 classes through tsyringe, which needs it.
import { createECDH, hkdfSync, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** The order of P-256's base point: a private scalar must lie in [1, n-1]. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const DAY_MS = 86_400_000;

export interface PemKeyPair {
  certPem: string;
  keyPem: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function derOf(pemText: string): Buffer {
  return Buffer.from(pemText.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function importPrivate(keyPem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', derOf(keyPem), EC, true, ['sign']);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const randomSerial = () => hex(crypto.getRandomValues(new Uint8Array(16))).replace(/^[89a-f]/, '1');

/**
 * The CA key: derived from HOMEPORT_SECRET_KEY in a cluster (every node then signs with the same key and
 * members pin one CA whichever node they reach), else random. HKDF output reduced into [1, n-1].
 */
async function caKeyPair(secretKey: string | undefined): Promise<CryptoKeyPair> {
  if (secretKey === undefined)
    return (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const wide = Buffer.from(hkdfSync('sha256', secretKey, 'homeport', 'homeport-bus-ca:p256', 48));
  const scalar = (BigInt(`0x${wide.toString('hex')}`) % (P256_ORDER - 1n)) + 1n;
  const d = Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: d.toString('base64url'),
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const privateKey = await crypto.subtle.importKey('jwk', jwk, EC, true, ['sign']);
  const { d: _secret, ...publicJwk } = jwk;
  const publicKey = await crypto.subtle.importKey('jwk', publicJwk, EC, true, ['verify']);
  return { privateKey, publicKey };
}

/**
 * A self-signed CA for the bus listener, valid 20 years. Its name holds its key's digest, so CAs made from the
 * same derived key on several nodes are interchangeable trust anchors.
 */
export async function makeBusCa(options: {
  secretKey?: string | undefined;
  now: number;
}): Promise<PemKeyPair> {
  const keys = await caKeyPair(options.secretKey);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const name = `CN=Homeport bus CA ${ski.keyId.slice(0, 16)}, O=Homeport`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(options.now - DAY_MS),
    notAfter: new Date(options.now + 20 * 365 * DAY_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ski,
    ],
  });
  const keyPem = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem'), keyPem };
}

export interface ServerCertOptions {
  ca: PemKeyPair;
  /** Host names and IP addresses the certificate is valid for. */
  hosts: readonly string[];
  now: number;
  validDays: number;
}

/** A server certificate for `hosts`, signed by the CA (serverAuth only, not a CA). */
export async function makeServerCert(options: ServerCertOptions): Promise<PemKeyPair> {
  const ca = new x509.X509Certificate(options.ca.certPem);
  const caKey = await importPrivate(options.ca.keyPem);
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names = options.hosts.map((host) =>
    isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host },
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=Homeport bus listener, O=Homeport',
    issuer: ca.subject,
    notBefore: new Date(options.now - DAY_MS),
    notAfter: new Date(options.now + options.validDays * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem'), keyPem };
}
