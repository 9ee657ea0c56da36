// A real Docker registry for tests: Debian's docker-registry (distribution v2) on a free loopback port with its
// storage in a temp dir, optionally with htpasswd auth and notifications posted to a test endpoint.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { freePort } from './free-port.js';
import { type ExitStatus, type ManagedProcess, startProcess } from './process/managed-process.js';
import { requireCommand } from './require-command.js';
import { tempDir } from './temp-dir.js';

export interface StartRegistryOptions {
  /** Where the registry posts its event envelopes (push, pull, delete), with `Authorization: Bearer <token>`. */
  notifications?: { url: string; token: string };
  /** Require HTTP basic auth with this user (htpasswd, bcrypt). */
  auth?: { user: string; password: string };
  /** How long start-up may take (default 20 s). */
  timeoutMs?: number;
}

export interface RegistryInstance {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `127.0.0.1:<port>`, the prefix of an image reference. */
  readonly host: string;
  readonly port: number;
  /** The temp dir holding config.yml, htpasswd and the storage (`storage/`). */
  readonly dir: string;
  /** The credentials it requires, when started with `auth`. */
  readonly auth: { user: string; password: string } | undefined;
  readonly process: ManagedProcess;
  stop(): Promise<ExitStatus>;
}

const PORT_ATTEMPTS = 5;

/** A bcrypt htpasswd line from apache2-utils' htpasswd, the password on stdin (not in argv). */
function htpasswdLine(user: string, password: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(user))
    throw new TypeError(`startRegistry: unusable user name ${JSON.stringify(user)}`);
  const htpasswd = requireCommand('htpasswd', 'apache2-utils');
  return execFileSync(htpasswd, ['-niB', user], { input: `${password}\n`, encoding: 'utf8' }).trim();
}

function renderConfig(dir: string, port: number, options: StartRegistryOptions): string {
  // JSON is valid YAML, which spares a YAML writer and any quoting question.
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: true },
      // Tests push and delete in quick succession; a cached blob descriptor would hide a delete.
      cache: {},
    },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
  };
  if (options.auth) config.auth = { htpasswd: { realm: 'homeport-test', path: join(dir, 'htpasswd') } };
  if (options.notifications) {
    config.notifications = {
      events: { includereferences: true },
      endpoints: [
        {
          name: 'homeport-test',
          url: options.notifications.url,
          headers: { Authorization: [`Bearer ${options.notifications.token}`] },
          // Short so a test endpoint that is down or slow does not hold the queue for long.
          timeout: '1s',
          threshold: 3,
          backoff: '200ms',
        },
      ],
    };
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function answersV2(url: string, deadline: number, registry: ManagedProcess): Promise<boolean> {
  while (Date.now() <= deadline && registry.exitStatus() === undefined) {
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      // 200 without auth, 401 with: either way the API is serving.
      if (response.status === 200 || response.status === 401) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * Starts `/usr/bin/docker-registry serve <config>` on a free 127.0.0.1 port, ready once `GET /v2/` answers
 * (200, or 401 with auth). Delete is enabled.
 *
 * @example
 *   const registry = await startRegistry({ notifications: { url: `${hook}/events`, token } });
 *   const { reference } = await pushTestImage(registry, { repository: 'app', tag: 'v1', version: 'v1' });
 *   await registry.stop();
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RegistryInstance> {
  const binary = requireCommand('docker-registry', 'docker-registry');
  const dir = tempDir('homeport-registry-');
  mkdirSync(join(dir, 'storage'));
  if (options.auth)
    writeFileSync(join(dir, 'htpasswd'), `${htpasswdLine(options.auth.user, options.auth.password)}\n`, {
      mode: 0o600,
    });
  const timeoutMs = options.timeoutMs ?? 20_000;
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const configFile = join(dir, 'config.yml');
    writeFileSync(configFile, renderConfig(dir, port, options), { mode: 0o600 });
    const url = `http://127.0.0.1:${port}`;
    const registry = await startProcess(binary, ['serve', configFile], { name: `docker-registry :${port}` });
    if (await answersV2(url, Date.now() + timeoutMs, registry)) {
      return {
        url,
        host: `127.0.0.1:${port}`,
        port,
        dir,
        auth: options.auth,
        process: registry,
        stop: () => registry.stop(),
      };
    }
    await registry.stop('SIGTERM', 2000);
    // freePort() cannot reserve a port: another process may have taken it before the registry bound it.
    const raced = /address already in use/i.test(registry.output());
    if (!raced || attempt >= PORT_ATTEMPTS)
      throw new TestkitError(
        'startup_failed',
        `docker-registry did not answer ${url}/v2/\n${registry.output()}`,
      );
  }
}
