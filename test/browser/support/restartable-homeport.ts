// A Homeport that a test can stop and start again on the same port and data dir, the way an operator
// restarts one while browsers keep their pages open: stopped by PID, started again from the built bundle.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  freePort,
  HOMEPORT_BUNDLE,
  type ManagedProcess,
  startProcess,
  tempDir,
  WEB_UI_INDEX,
} from '@homeport/testkit';

export interface RestartableHomeport {
  url: string;
  port: number;
  dataDir: string;
  adminPassword: string;
  /** The running process, or undefined while stopped. */
  process(): ManagedProcess | undefined;
  start(): Promise<void>;
  /** Stops the server by its PID (SIGTERM, then SIGKILL after the timeout). */
  stop(): Promise<void>;
  /** Runs `homeport <args>` against the same data dir (the server may be stopped), with `input` on stdin. */
  cli(args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string };
}

/** Environment without the developer's HOMEPORT_* settings, so a shell cannot change a test. */
function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('HOMEPORT_')) env[key] = undefined;
  return env;
}

export async function restartableHomeport(env: Record<string, string> = {}): Promise<RestartableHomeport> {
  for (const [path, what] of [
    [HOMEPORT_BUNDLE, 'The Homeport bundle'],
    [WEB_UI_INDEX, 'The web UI'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${what} not found at ${path}; run \`npm run build\` first`);
  }
  const port = await freePort();
  const dataDir = tempDir('homeport-restart-');
  const adminPassword = randomBytes(24).toString('base64url');
  const url = `http://127.0.0.1:${port}`;
  const fullEnv = {
    ...cleanEnv(),
    HOMEPORT_ADMIN_PASSWORD: adminPassword,
    // The tests here are about the web UI and the control plane; no agent process to wait for.
    HOMEPORT_EMBEDDED_AGENT: 'false',
    ...env,
  };
  let running: ManagedProcess | undefined;
  const self: RestartableHomeport = {
    url,
    port,
    dataDir,
    adminPassword,
    process: () => running,
    async start() {
      if (running) throw new Error('already running');
      running = await startProcess(
        globalThis.process.execPath,
        [HOMEPORT_BUNDLE, 'start', '--port', String(port), '--bind', '127.0.0.1', '--data-dir', dataDir],
        { name: 'homeport', env: fullEnv, ready: { url: `${url}/health` } },
      );
    },
    async stop() {
      await running?.stop();
      running = undefined;
    },
    cli(args, input) {
      const result = spawnSync(
        globalThis.process.execPath,
        [HOMEPORT_BUNDLE, ...args, '--data-dir', dataDir],
        {
          env: Object.fromEntries(
            Object.entries(globalThis.process.env).filter(([key]) => !key.startsWith('HOMEPORT_')),
          ),
          input: input ?? '',
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
  await self.start();
  return self;
}
