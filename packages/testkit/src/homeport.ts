// Runs the built Homeport bundle as a real server on a free loopback port with a fresh data dir and a
// random admin password, the way an operator would start it.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TestkitError } from './errors.js';
import { freePort } from './free-port.js';
import { type ManagedProcess, startProcess } from './process/managed-process.js';
import { HOMEPORT_BUNDLE, WEB_UI_INDEX } from './repo-paths.js';
import { requireCommand } from './require-command.js';
import { tempDir } from './temp-dir.js';

export interface StartHomeportOptions {
  /** Extra environment, e.g. `{ HOMEPORT_RATE_LIMIT_MAX: '0' }`; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Extra arguments after `start --port … --bind … --data-dir …`. */
  args?: readonly string[];
  /** Arguments for node itself, before the bundle (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: readonly string[];
  /** Data folder (default: a new temp dir). */
  dataDir?: string;
  /** Fail unless the web UI is built too (browser tests). */
  requireWebUi?: boolean;
  /** Server output to this file instead of the test process (see StartProcessOptions.logFile). */
  logFile?: string;
  /** Readiness timeout (default 20 s). */
  timeoutMs?: number;
  /** The bundle to run (default apps/homeport/dist/homeport.js); the testkit's own tests point it elsewhere. */
  bundle?: string;
  /** Run under this open-file limit (soft and hard, set by util-linux `prlimit`): exhaustion tests. */
  openFileLimit?: number;
}

export interface HomeportInstance {
  process: ManagedProcess;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  dataDir: string;
  /** Password of the `admin` account created at first launch from HOMEPORT_ADMIN_PASSWORD. */
  adminPassword: string;
  /** Base URL of the embedded NAS agent's WebDAV server (on its own free port). */
  davUrl: string;
}

const PORT_ATTEMPTS = 3;

function requireBuilt(path: string, what: string): void {
  if (!existsSync(path)) {
    throw new TestkitError('missing_build', `${what} not found at ${path}; run \`npm run build\` first`);
  }
}

/** Environment of the test run without HOMEPORT_* settings, so a developer's shell cannot change a test. */
function withoutHomeportSettings(): Record<string, undefined> {
  const cleared: Record<string, undefined> = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('HOMEPORT_')) cleared[key] = undefined;
  return cleared;
}

/**
 * Starts `node apps/homeport/dist/homeport.js start` and resolves once `/health` answers.
 *
 * @example
 *   const homeport = await startHomeport({ env: { HOMEPORT_RATE_LIMIT_MAX: '0' } });
 *   await fetch(`${homeport.url}/api/v1/auth/login`, { method: 'POST', … 'admin', homeport.adminPassword … });
 *   await homeport.process.stop();
 */
export async function startHomeport(options: StartHomeportOptions = {}): Promise<HomeportInstance> {
  const bundle = options.bundle ?? HOMEPORT_BUNDLE;
  requireBuilt(bundle, 'The Homeport bundle');
  if (options.requireWebUi) requireBuilt(WEB_UI_INDEX, 'The web UI');

  const dataDir = options.dataDir ?? tempDir('homeport-data-');
  const adminPassword = randomBytes(24).toString('base64url');
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const davPort = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = [bundle, 'start', '--port', String(port), '--bind', '127.0.0.1', '--data-dir', dataDir];
    try {
      const node = globalThis.process.execPath;
      const command = [node, ...(options.nodeArgs ?? []), ...args, ...(options.args ?? [])];
      // prlimit execs the command after setting the limit, so the PID stays Homeport's own.
      const [executable, ...argv] =
        options.openFileLimit === undefined
          ? command
          : [
              requireCommand('prlimit', 'util-linux'),
              `--nofile=${options.openFileLimit}:${options.openFileLimit}`,
              ...command,
            ];
      const process = await startProcess(executable ?? node, argv, {
        name: 'homeport',
        env: {
          ...withoutHomeportSettings(),
          HOMEPORT_ADMIN_PASSWORD: adminPassword,
          HOMEPORT_DAV_PORT: String(davPort),
          // The deploy module's proxy (when Docker is here) must not take its fixed default port.
          HOMEPORT_PROXY_PORT: '0',
          ...options.env,
        },
        ready: { url: `${url}/health` },
        ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      return { process, url, port, dataDir, adminPassword, davUrl: `http://127.0.0.1:${davPort}` };
    } catch (error) {
      // freePort() cannot reserve the port; if another process took it meanwhile, try a new one. Homeport
      // reports a busy port from its start-up check ("port N is in use"), or EADDRINUSE if it lost a race after it.
      const raced = error instanceof TestkitError && /EADDRINUSE|port \d+ is in use/.test(error.message);
      if (!raced || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}
