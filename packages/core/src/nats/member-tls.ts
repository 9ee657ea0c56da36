// TLS of the managed nats-server's member listener (HOMEPORT_BUS_LISTEN): the operator's certificate, or a bus
// CA and a server certificate Homeport makes and keeps under `<dataDir>/nats/tls` (keys 0600), reused across
// restarts and made again when the listener's names changed or it nears expiry. docs/bus.md explains them.

import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { ConfigError } from '../config/load.js';
import { ensurePrivateDir, readIfExists, writePrivate } from '../fs/private-files.js';
import type { PemKeyPair } from './member-ca.js';

/** A generated server certificate lasts a year and is made again when less than 30 days are left. */
export const SERVER_CERT_DAYS = 365;
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

/** How Homeport's own connections verify the listener (options for node:tls, through nats.js). */
export interface NatsTlsTrust {
  /** PEM certificates, concatenated. */
  ca: string;
  /** With the operator's certificate: its exact leaf, whatever name it is reached by. */
  checkServerIdentity?: (host: string, cert: { fingerprint256?: string }) => Error | undefined;
}

export interface MemberTls {
  certFile: string;
  keyFile: string;
  /** The CA members pin: the bus CA, or the self-signed root ending the operator's chain; none for a public CA. */
  memberCa: string | undefined;
  trust: NatsTlsTrust;
  /** True when Homeport made the certificate (and renews it). */
  generated: boolean;
  /** When the generated certificate should be made again. */
  renewAt: number | undefined;
}

export interface MemberTlsOptions {
  /** `<dataDir>/nats`; the generated files go under `tls/`. */
  natsDir: string;
  /** Names and addresses the generated certificate must be valid for. */
  hosts: readonly string[];
  /** HOMEPORT_BUS_TLS_CERT/KEY. */
  operator?: { certFile: string; keyFile: string } | undefined;
  /** HOMEPORT_SECRET_KEY in a cluster: the CA key is derived from it, the same on every node. */
  secretKey?: string | undefined;
  now?: () => number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** The certificates of a PEM file, leaf first. */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(PEM_CERT)].map((match) => `${match[0].trim()}\n`);
}

let roots: X509Certificate[] | undefined;
/** Node's bundled public roots, parsed once. */
function publicRoots(): X509Certificate[] {
  roots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return roots;
}

function operatorTls(files: { certFile: string; keyFile: string }): MemberTls {
  let chain: string[];
  try {
    chain = pemCertificates(readFileSync(files.certFile, 'utf8'));
    readFileSync(files.keyFile);
  } catch (error) {
    throw new ConfigError([
      `HOMEPORT_BUS_TLS_CERT/KEY cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    ]);
  }
  const [leafPem] = chain;
  if (leafPem === undefined)
    throw new ConfigError([`HOMEPORT_BUS_TLS_CERT ${files.certFile} holds no PEM certificate`]);
  const leaf = new X509Certificate(leafPem);
  const last = new X509Certificate(chain[chain.length - 1] as string);
  // A chain ending in a self-signed root names a private CA: members pin that root. A publicly trusted
  // certificate's file holds no root, and members verify it against their system's roots.
  const selfSigned = last.checkIssued(last) && last.verify(last.publicKey);
  // Homeport's own connections must verify the chain too: it must end in a root, given or public.
  if (!selfSigned && !publicRoots().some((root) => last.checkIssued(root) && last.verify(root.publicKey)))
    throw new ConfigError([
      `HOMEPORT_BUS_TLS_CERT ${files.certFile}: its chain ends in "${last.subject.replace(/\n/g, ', ')}", issued by "${last.issuer.replace(/\n/g, ', ')}", which is not a public root: append that CA's certificate to the file`,
    ]);
  return {
    certFile: files.certFile,
    keyFile: files.keyFile,
    memberCa: selfSigned ? chain[chain.length - 1] : undefined,
    trust: {
      ca: [...rootCertificates, ...chain].join('\n'),
      // Homeport reaches its own listener by 127.0.0.1 or the bind address, which the operator's certificate
      // need not name: it accepts exactly that certificate instead.
      checkServerIdentity: (_host, cert) =>
        cert.fingerprint256 === leaf.fingerprint256
          ? undefined
          : new Error('the NATS member listener presented another certificate than HOMEPORT_BUS_TLS_CERT'),
    },
    generated: false,
    renewAt: undefined,
  };
}

/** A host as certificates compare it: IPv6 in its short form (`::1`, not `0:0:0:0:0:0:0:1`), lower case. */
function canonicalHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(bare) === 6 ? new URL(`http://[${bare}]`).hostname.slice(1, -1) : bare;
}

/** Whether `cert` was signed by `ca`, names every host and lives past the renewal margin. */
function stillGood(cert: X509Certificate, ca: X509Certificate, hosts: readonly string[], now: number) {
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_DAYS * DAY_MS) return false;
  const names = new Set(
    (cert.subjectAltName ?? '')
      .split(', ')
      .map((entry) => canonicalHost(entry.replace(/^(DNS|IP Address):/, ''))),
  );
  return hosts.every((host) => names.has(canonicalHost(host)));
}

/**
 * The certificate maker (@peculiar/x509 with its ASN.1 schemas), imported only when a certificate must be made:
 * evaluating it cost ~90 ms of every start, and later starts reuse the files (issue 15).
 */
const memberCa = () => import('./member-ca.js');

/**
 * The member listener's TLS: the operator's files when given, else the generated bus CA and a server
 * certificate for `hosts` (made on the first start, reused while still good).
 *
 * @example
 *   const tls = await prepareMemberTls({ natsDir, hosts: ['10.0.0.5', '127.0.0.1'] });
 *   // tls.certFile / tls.keyFile go into the server config; tls.memberCa into members' credentials.
 */
export async function prepareMemberTls(options: MemberTlsOptions): Promise<MemberTls> {
  if (options.operator) return operatorTls(options.operator);
  const now = (options.now ?? Date.now)();
  const dir = join(options.natsDir, 'tls');
  ensurePrivateDir(dir);
  const files = {
    caCert: join(dir, 'bus-ca.pem'),
    caKey: join(dir, 'bus-ca.key'),
    cert: join(dir, 'listener.pem'),
    key: join(dir, 'listener.key'),
  };
  let ca: PemKeyPair;
  const caCert = readIfExists(files.caCert);
  const caKey = readIfExists(files.caKey);
  if (caCert !== undefined && caKey !== undefined) ca = { certPem: caCert, keyPem: caKey };
  else {
    ca = await (await memberCa()).makeBusCa({ secretKey: options.secretKey, now });
    writePrivate(files.caKey, ca.keyPem);
    writePrivate(files.caCert, ca.certPem);
    rmSync(files.cert, { force: true });
  }
  const caX509 = new X509Certificate(ca.certPem);
  const current = readIfExists(files.cert);
  let certPem = current;
  if (
    current === undefined ||
    readIfExists(files.key) === undefined ||
    !stillGood(new X509Certificate(current), caX509, options.hosts, now)
  ) {
    const made = await (await memberCa()).makeServerCert({
      ca,
      hosts: options.hosts,
      now,
      validDays: SERVER_CERT_DAYS,
    });
    // nats-server reads the pair at start or on SIGHUP, sent only after both are written.
    writePrivate(files.key, made.keyPem);
    writePrivate(files.cert, made.certPem);
    certPem = made.certPem;
  }
  const validTo = Date.parse(new X509Certificate(certPem as string).validTo);
  return {
    certFile: files.cert,
    keyFile: files.key,
    memberCa: ca.certPem,
    trust: { ca: ca.certPem },
    generated: true,
    renewAt: validTo - RENEW_BEFORE_DAYS * DAY_MS,
  };
}
