// HOMEPORT_TRUST_PROXY parsing and what it means for Fastify and for the connection guard.

import { describe, expect, it } from 'vitest';
import { fastifyTrustProxy, parseTrustProxy, proxyPeerMatcher } from '../src/http/trust-proxy.js';
import { Config, coreSettings } from '../src/index.js';

describe('parseTrustProxy', () => {
  it('reads off, one hop (true, kept from when it was a boolean), hop counts and address lists', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('0')).toBe(false);
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy(false)).toBe(false);
    expect(parseTrustProxy('true')).toBe(1);
    expect(parseTrustProxy('yes')).toBe(1);
    expect(parseTrustProxy(true)).toBe(1);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy(2)).toBe(2);
    expect(parseTrustProxy('127.0.0.1, 10.0.0.0/8,fd00::/8')).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(parseTrustProxy(['::1'])).toEqual(['::1']);
  });

  it.each([
    'all',
    '*',
    '10.0.0.0/33',
    '10.0.0',
    'nginx',
    '99',
    '-1',
    '1.5',
    '127.0.0.1/8/1',
    'true,10.0.0.1',
  ])('refuses %j with a message', (raw) => {
    expect(() => parseTrustProxy(raw)).toThrow(/hop count|not an IP address/);
  });

  it('is validated with the other settings at start', () => {
    const config = new Config({ env: { HOMEPORT_TRUST_PROXY: 'everything' } });
    expect(() => config.validate([coreSettings])).toThrow(/HOMEPORT_TRUST_PROXY/);
    expect(new Config({ env: { HOMEPORT_TRUST_PROXY: 'true' } }).read(coreSettings).trustProxy).toBe(1);
  });
});

describe('fastifyTrustProxy', () => {
  it('never trusts every hop: true and counts become a function of the hop', () => {
    const one = fastifyTrustProxy(true);
    expect(typeof one).toBe('function');
    if (typeof one !== 'function') return;
    expect([one('127.0.0.1', 0), one('203.0.113.1', 1)]).toEqual([true, false]);
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(undefined)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });
});

describe('proxyPeerMatcher', () => {
  it('matches listed addresses and ranges (IPv4-mapped too), every peer for a hop count, none when off', () => {
    const listed = proxyPeerMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    expect(['127.0.0.1', '::ffff:127.0.0.1', '10.9.8.7', 'fd12::1'].map(listed)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['127.0.0.2', '192.0.2.1', '::1', 'fe80::1'].map(listed)).toEqual([false, false, false, false]);
    expect(proxyPeerMatcher(1)('192.0.2.1')).toBe(true);
    expect(proxyPeerMatcher(false)('127.0.0.1')).toBe(false);
  });
});
