// Where the Docker Engine API is: read by the requirement check ("is Docker here?") and by the modules that
// use it (deploy). Core owns it because the module selection decides before any module reads its settings.

import { existsSync } from 'node:fs';
import { defineSettings, stringSetting } from '../config/settings.js';
import type { RequirementCheck } from '../module.js';

export const dockerSettings = defineSettings({
  dockerHost: stringSetting({
    key: 'docker.host',
    env: 'HOMEPORT_DOCKER_HOST',
    default: 'unix:///var/run/docker.sock',
    pattern: /^(unix:\/\/\/.+|tcp:\/\/(127\.[0-9.]+|\[::1\]|localhost):[0-9]{1,5})$/,
    patternHint:
      'unix:///path/to/docker.sock or tcp://127.0.0.1:PORT (an unauthenticated Docker API only on loopback)',
    doc: 'The Docker Engine API the deploy module uses: a unix socket, or a TCP port on loopback.',
  }),
});

/** Docker counts as present when its unix socket exists (a TCP endpoint is taken at its word). */
export function dockerRequirement(dockerHost: string): RequirementCheck {
  if (!dockerHost.startsWith('unix://')) return { met: true };
  const socket = dockerHost.slice('unix://'.length);
  if (existsSync(socket)) return { met: true };
  return {
    met: false,
    reason: `needs Docker: no ${socket} (apt-get install docker.io, or set HOMEPORT_DOCKER_HOST)`,
  };
}
