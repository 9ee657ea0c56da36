// The bus's start-up guard over every shape of exposure (unibus audits H2 and H5).

import { describe, expect, it } from 'vitest';
import { type BusExposure, busExposureProblems } from '../src/index.js';

const base: BusExposure = {
  auth: 'enforce',
  controlBind: '127.0.0.1',
  controlTls: false,
  controlCert: false,
  busListenHost: undefined,
  busTls: false,
};

const cases: [string, Partial<BusExposure>, boolean][] = [
  ['loopback, enforce', {}, true],
  ['loopback, soft', { auth: 'soft' }, true],
  ['loopback, off', { auth: 'off' }, true],
  ['public control, enforce, TLS', { controlBind: '0.0.0.0', controlTls: true, controlCert: true }, true],
  ['public control, enforce, TLS proxy', { controlBind: '0.0.0.0', controlTls: true }, true],
  ['public control, enforce, no TLS', { controlBind: '0.0.0.0' }, false],
  [
    'public control, soft, TLS',
    { controlBind: '0.0.0.0', controlTls: true, controlCert: true, auth: 'soft' },
    false,
  ],
  [
    'public control, off, TLS',
    { controlBind: '::', controlTls: true, controlCert: true, auth: 'off' },
    false,
  ],
  ['loopback control, TLS without enforce', { controlTls: true, controlCert: true, auth: 'soft' }, false],
  ['bus TLS without enforce on loopback', { busListenHost: '127.0.0.1', busTls: true, auth: 'off' }, false],
  ['public NATS, enforce, TLS', { busListenHost: '0.0.0.0', busTls: true }, true],
  ['public NATS, enforce, no TLS', { busListenHost: '192.168.1.10' }, false],
  ['public NATS, soft, TLS', { busListenHost: '0.0.0.0', busTls: true, auth: 'soft' }, false],
  ['loopback NATS in brackets, soft', { busListenHost: '[::1]', auth: 'soft' }, true],
];

describe('bus exposure policy', () => {
  it.each(cases)('%s', (_name, shape, safe) => {
    const problems = busExposureProblems({ ...base, ...shape });
    expect(problems.length === 0, problems.join('; ')).toBe(safe);
  });

  it('names what serves TLS when signatures are not enforced', () => {
    const problems = busExposureProblems({ ...base, busListenHost: '127.0.0.1', busTls: true, auth: 'soft' });
    expect(problems).toEqual([
      expect.stringMatching(
        /^the bus listener \(HOMEPORT_BUS_LISTEN=127\.0\.0\.1, always TLS\) with HOMEPORT_BUS_AUTH=soft/,
      ),
    ]);
  });

  it('refuses to start a Homeport on a public bind with soft bus auth, naming the setting', async () => {
    const { buildTestHomeport } = await import('@homeport/accounts/testing');
    const { createBusModule } = await import('../src/index.js');
    await expect(
      buildTestHomeport({
        modules: [createBusModule()],
        env: { HOMEPORT_BIND: '0.0.0.0', HOMEPORT_ALLOW_INSECURE_PUBLIC: 'true', HOMEPORT_BUS_AUTH: 'soft' },
      }),
    ).rejects.toThrow(/HOMEPORT_BUS_AUTH=soft/);
  });
});
