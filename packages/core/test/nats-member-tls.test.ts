// The member listener's certificates: made once and reused, made again when the names change or expiry nears,
// one CA for every node of a cluster (derived from the secret key), and the operator's certificate pinned by
// Homeport's own connections.

import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { Config, natsConfigProblems, natsSettings } from '../src/index.js';
import { makeBusCa, makeServerCert } from '../src/nats/member-ca.js';
import { planMemberListener } from '../src/nats/member-listener.js';
import { prepareMemberTls, RENEW_BEFORE_DAYS, SERVER_CERT_DAYS } from '../src/nats/member-tls.js';

afterAll(() => removeTempDirs());

const DAY = 86_400_000;
const HOSTS = ['192.168.1.5', '127.0.0.1', '::1', 'localhost'];

describe('generated member TLS', () => {
  it('makes the CA and certificate once (keys 0600) and reuses them', async () => {
    const natsDir = tempDir('homeport-member-tls-');
    const first = await prepareMemberTls({ natsDir, hosts: HOSTS });
    expect(first.generated).toBe(true);
    const cert = new X509Certificate(readFileSync(first.certFile));
    const ca = new X509Certificate(first.memberCa as string);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe(
      'IP Address:192.168.1.5, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost',
    );
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(natsDir, 'tls', 'bus-ca.key')).mode & 0o777).toBe(0o600);

    const again = await prepareMemberTls({ natsDir, hosts: [...HOSTS].reverse() });
    expect(new X509Certificate(readFileSync(again.certFile)).fingerprint256).toBe(cert.fingerprint256);
    expect(again.memberCa).toBe(first.memberCa);
  });

  it('makes a new certificate under the same CA when a name is missing or expiry nears', async () => {
    const natsDir = tempDir('homeport-member-tls-');
    const now = Date.now();
    const first = await prepareMemberTls({ natsDir, hosts: HOSTS, now: () => now });
    const before = readFileSync(first.certFile, 'utf8');
    expect(first.renewAt).toBeGreaterThan(now + (SERVER_CERT_DAYS - RENEW_BEFORE_DAYS - 2) * DAY);

    const moved = await prepareMemberTls({
      natsDir,
      hosts: ['192.168.1.9', ...HOSTS.slice(1)],
      now: () => now,
    });
    const afterMove = readFileSync(moved.certFile, 'utf8');
    expect(afterMove).not.toBe(before);
    expect(new X509Certificate(afterMove).subjectAltName).toContain('192.168.1.9');
    expect(moved.memberCa).toBe(first.memberCa);

    const later = (first.renewAt as number) + 1000;
    const renewed = await prepareMemberTls({
      natsDir,
      hosts: ['192.168.1.9', ...HOSTS.slice(1)],
      now: () => later,
    });
    const renewedCert = new X509Certificate(readFileSync(renewed.certFile));
    expect(Date.parse(renewedCert.validTo)).toBeGreaterThan(later + (SERVER_CERT_DAYS - 2) * DAY);
    expect(renewed.memberCa).toBe(first.memberCa);
  });

  it('gives every node of a cluster the same CA key, so one pinned CA verifies every node', async () => {
    const secretKey = 'cluster-secret-key-0123456789abcdef';
    const [a, b] = await Promise.all([
      prepareMemberTls({ natsDir: tempDir('homeport-member-tls-a-'), hosts: ['10.0.0.1'], secretKey }),
      prepareMemberTls({ natsDir: tempDir('homeport-member-tls-b-'), hosts: ['10.0.0.2'], secretKey }),
    ]);
    const caA = new X509Certificate(a.memberCa as string);
    const caB = new X509Certificate(b.memberCa as string);
    expect(caA.subject).toBe(caB.subject);
    expect(caA.publicKey.export({ format: 'jwk' })).toEqual(caB.publicKey.export({ format: 'jwk' }));
    const certB = new X509Certificate(readFileSync(b.certFile));
    expect(certB.checkIssued(caA) && certB.verify(caA.publicKey)).toBe(true);

    const other = await prepareMemberTls({
      natsDir: tempDir('homeport-member-tls-c-'),
      hosts: ['10.0.0.3'],
      secretKey: 'another-secret-key-fedcba9876543210',
    });
    expect(certB.verify(new X509Certificate(other.memberCa as string).publicKey)).toBe(false);
  });
});

describe("the operator's certificate", () => {
  it('hands members the self-signed root its chain ends in and pins the exact leaf for Homeport', async () => {
    const dir = tempDir('homeport-member-tls-op-');
    const now = Date.now();
    const ca = await makeBusCa({ now });
    const leaf = await makeServerCert({ ca, hosts: ['bus.example'], now, validDays: 30 });
    writeFileSync(join(dir, 'chain.pem'), leaf.certPem + ca.certPem);
    writeFileSync(join(dir, 'key.pem'), leaf.keyPem);
    const tls = await prepareMemberTls({
      natsDir: dir,
      hosts: HOSTS,
      operator: { certFile: join(dir, 'chain.pem'), keyFile: join(dir, 'key.pem') },
    });
    expect(tls.generated).toBe(false);
    expect(new X509Certificate(tls.memberCa as string).fingerprint256).toBe(
      new X509Certificate(ca.certPem).fingerprint256,
    );
    const fingerprint = new X509Certificate(leaf.certPem).fingerprint256;
    expect(tls.trust.checkServerIdentity?.('127.0.0.1', { fingerprint256: fingerprint })).toBeUndefined();
    expect(tls.trust.checkServerIdentity?.('127.0.0.1', { fingerprint256: 'AA:BB' })).toBeInstanceOf(Error);
  });

  it('refuses a chain that ends below a private root (Homeport could not verify its own listener)', async () => {
    const dir = tempDir('homeport-member-tls-op-');
    const now = Date.now();
    const ca = await makeBusCa({ now });
    const leaf = await makeServerCert({ ca, hosts: ['bus.example'], now, validDays: 30 });
    writeFileSync(join(dir, 'leaf.pem'), leaf.certPem);
    writeFileSync(join(dir, 'key.pem'), leaf.keyPem);
    await expect(
      prepareMemberTls({
        natsDir: dir,
        hosts: HOSTS,
        operator: { certFile: join(dir, 'leaf.pem'), keyFile: join(dir, 'key.pem') },
      }),
    ).rejects.toThrow(/not a public root: append that CA's certificate/);
  });

  it('refuses a file with no certificate in it', async () => {
    const dir = tempDir('homeport-member-tls-op-');
    writeFileSync(join(dir, 'empty.pem'), 'not a certificate\n');
    await expect(
      prepareMemberTls({
        natsDir: dir,
        hosts: HOSTS,
        operator: { certFile: join(dir, 'empty.pem'), keyFile: join(dir, 'empty.pem') },
      }),
    ).rejects.toThrow(/holds no PEM certificate/);
  });
});

describe('member listener settings', () => {
  const problems = (env: Record<string, string>) =>
    natsConfigProblems(new Config({ env }).read(natsSettings)).join('\n');

  it('reads host:port in the form nats-server writes, IPv6 in brackets', () => {
    expect(new Config({ env: { HOMEPORT_BUS_LISTEN: '[::]:4250' } }).read(natsSettings).busListen).toBe(
      '[::]:4250',
    );
    expect(() => new Config({ env: { HOMEPORT_BUS_LISTEN: '0.0.0.0' } }).read(natsSettings)).toThrow(
      /host:port/,
    );
  });

  it('refuses a certificate without its key, TLS without a listener, and a listener on an external server', () => {
    expect(problems({ HOMEPORT_BUS_LISTEN: '0.0.0.0:4250' })).toBe('');
    expect(problems({ HOMEPORT_BUS_LISTEN: '0.0.0.0:4250', HOMEPORT_BUS_TLS_CERT: '/c.pem' })).toMatch(
      /go together/,
    );
    expect(problems({ HOMEPORT_BUS_TLS_CERT: '/c.pem', HOMEPORT_BUS_TLS_KEY: '/k.pem' })).toMatch(
      /without HOMEPORT_BUS_LISTEN/,
    );
    expect(
      problems({ HOMEPORT_BUS_LISTEN: '0.0.0.0:4250', HOMEPORT_NATS_URL: 'tls://nats.lan:4222' }),
    ).toMatch(/HOMEPORT_NATS_URL is set/);
  });
});

describe('member listener plan', () => {
  const machine = { addresses: ['192.168.1.5', '172.17.0.1', 'fd00::5'], hostname: 'nas' };

  it('on every interface: Homeport by 127.0.0.1, members by the first address, the certificate names all', () => {
    expect(planMemberListener({ listen: '0.0.0.0:4250' }, machine)).toEqual({
      host: '0.0.0.0',
      port: 4250,
      connectHost: '127.0.0.1',
      advertiseHost: '192.168.1.5',
      certHosts: ['192.168.1.5', '172.17.0.1', 'fd00::5', 'nas', '127.0.0.1', '::1', 'localhost'],
    });
    expect(planMemberListener({ listen: '[::]:4250', advertise: 'nas.lan' }, machine)).toMatchObject({
      host: '::',
      connectHost: '127.0.0.1',
      advertiseHost: 'nas.lan',
    });
  });

  it('on one address: everyone goes there, and nothing else of the machine is named', () => {
    expect(planMemberListener({ listen: '192.168.1.5:4250' }, machine)).toEqual({
      host: '192.168.1.5',
      port: 4250,
      connectHost: '192.168.1.5',
      advertiseHost: '192.168.1.5',
      certHosts: ['192.168.1.5', '127.0.0.1', '::1', 'localhost'],
    });
    expect(planMemberListener({ listen: '[::1]:4250' }, machine).connectHost).toBe('::1');
  });
});
