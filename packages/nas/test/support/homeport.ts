// A test Homeport running the NAS module (accounts' test builder, NAS's control plane only: the embedded
// agent is off, its tests run real processes).

import { buildTestHomeport, type TestHomeport, type TestHomeportOptions } from '@homeport/accounts/testing';
import { createNasModule } from '@homeport/nas';

export { ADMIN_PASSWORD, bearer, type TestHomeport } from '@homeport/accounts/testing';

export function buildNasHomeport(
  options: Omit<TestHomeportOptions, 'modules' | 'compose'> = {},
): Promise<TestHomeport> {
  return buildTestHomeport({
    ...options,
    modules: [createNasModule({ version: '0.1.0-test' })],
    env: { HOMEPORT_EMBEDDED_AGENT: 'false', ...options.env },
  });
}
