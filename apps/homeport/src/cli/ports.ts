// Checks that every port a command will listen on is free before anything is created, so a busy port never
// leaves a database, an admin account or a secret behind (and a one-time password printed for nothing).

import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { HomeportError } from '@homeport/core';

export interface PortClaim {
  host: string;
  /** 0 picks a free port when listening, so it is never checked. */
  port: number;
  /** How the person changes it, e.g. `--port (HOMEPORT_PORT)`. */
  setting: string;
  /** What to do instead, appended to the line. */
  advice: string;
}

/** A port another process holds; main prints the message as it is and exits 2, like a configuration error. */
export class PortInUseError extends HomeportError<'port_in_use'> {
  constructor(readonly lines: readonly string[]) {
    super('port_in_use', 'conflict', lines.join('\n'));
  }
}

/** Resolves to the error code of listening on host:port (undefined when the port could be taken). */
function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'EADDRINUSE'));
    // exclusive: a port held by a cluster worker of another process must count as busy too.
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => done(undefined)));
  });
}

/**
 * Throws PortInUseError naming every busy port at once; with the server's `dataDir`, also how to recover the
 * admin password when an earlier start already created the account. Only EADDRINUSE is reported here; any other listen
 * error (a bind address this machine does not have) surfaces from the real listen with its own message.
 */
export async function assertPortsFree(claims: readonly PortClaim[], dataDir?: string): Promise<void> {
  const busy: string[] = [];
  for (const claim of claims) {
    if (claim.port === 0) continue;
    if ((await tryListen(claim.host, claim.port)) === 'EADDRINUSE') {
      busy.push(
        `${claim.setting}: port ${claim.port} is in use on ${claim.host} (is Homeport already running?); ${claim.advice}`,
      );
    }
  }
  if (busy.length === 0) return;
  // The first admin was created (and its password printed) by an earlier start on this data dir.
  if (dataDir !== undefined && existsSync(join(resolve(dataDir), 'homeport.db'))) {
    busy.push(
      `the admin account already exists in ${resolve(dataDir)}; lost its password? homeport user reset-password admin`,
    );
  }
  throw new PortInUseError(busy);
}
