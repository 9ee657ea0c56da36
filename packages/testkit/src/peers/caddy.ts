// Caddy (Debian `caddy` 2.6) as the TLS edge of the deploy tests: admin API on a free loopback port, its
// data and config folders under a temp dir (never ~/.local/share/caddy), no ACME, no trust-store install.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { type ManagedProcess, startProcess } from '../process/managed-process.js';
import { requireCommand } from '../require-command.js';
import { tempDir } from '../temp-dir.js';

export interface StartCaddyOptions {
  /** Caddy's `apps` to start with (default none: admin API only). */
  apps?: Record<string, unknown>;
}

export interface CaddyInstance {
  /** `http://127.0.0.1:<port>`, the admin API. */
  adminUrl: string;
  root: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `caddy run` with a generated JSON config and waits for its admin API.
 *
 * @example
 *   const caddy = await startCaddy();
 *   // drive caddy.adminUrl, then
 *   await caddy.stop();
 */
export async function startCaddy(options: StartCaddyOptions = {}): Promise<CaddyInstance> {
  const caddy = requireCommand('caddy', 'caddy');
  const root = tempDir('homeport-caddy-');
  for (const folder of ['data', 'config']) mkdirSync(join(root, folder));
  const port = await freePort();
  const adminUrl = `http://127.0.0.1:${port}`;
  const config = {
    // persist false: no autosave.json; a test's changes end with the process.
    admin: { listen: `127.0.0.1:${port}`, config: { persist: false } },
    apps: {
      // Caddy's local CA would otherwise try to install its root into the system trust store.
      pki: { certificate_authorities: { local: { install_trust: false } } },
      ...options.apps,
    },
  };
  const file = join(root, 'caddy.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const process = await startProcess(caddy, ['run', '--config', file], {
    name: 'caddy',
    env: { XDG_DATA_HOME: join(root, 'data'), XDG_CONFIG_HOME: join(root, 'config'), HOME: root },
    ready: { url: `${adminUrl}/config/` },
  });
  return {
    adminUrl,
    root,
    process,
    stop: async () => {
      await process.stop();
    },
  };
}
