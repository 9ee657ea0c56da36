// Finds the nats-server binary: the configured path, else `nats-server` on PATH, else Debian's /usr/sbin.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Debian's nats-server package installs into /usr/sbin, which is not on an ordinary user's PATH. */
const FALLBACK_DIRS = ['/usr/sbin', '/usr/local/sbin'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    // Missing or not executable: both mean "not this one".
    return false;
  }
}

export type NatsServerLookup = { found: true; path: string } | { found: false; reason: string };

/**
 * Where the nats-server binary is. A configured path must exist; without one, PATH and then /usr/sbin are
 * searched.
 */
export function findNatsServer(
  configured: string | undefined,
  path = process.env.PATH ?? '',
): NatsServerLookup {
  if (configured !== undefined) {
    const full = resolve(configured);
    return isExecutableFile(full)
      ? { found: true, path: full }
      : { found: false, reason: `HOMEPORT_NATS_SERVER_BIN=${configured} is not an executable file` };
  }
  const folders = [...path.split(delimiter).filter((folder) => folder !== ''), ...FALLBACK_DIRS];
  for (const folder of folders) {
    const candidate = join(folder, 'nats-server');
    if (isExecutableFile(candidate)) return { found: true, path: candidate };
  }
  return { found: false, reason: 'no nats-server binary on PATH or in /usr/sbin' };
}
