// Test support (`@homeport/accounts/testing`): builds a Homeport in-process — accounts plus the modules under
// test — for a package's HTTP tests (Fastify inject, no socket), on SQLite in a temp data dir or on JetStream
// KV, with the log captured. For tests only: it uses @homeport/testkit, a dev dependency.

import {
  type Composition,
  Config,
  composeModules,
  createLogger,
  type Logger,
  type Module,
} from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { accountsBase } from './base.js';
import { bootstrapFirstAdmin } from './first-admin.js';
import { ACCOUNTS } from './module.js';

/** The first admin's password in every test Homeport (user `admin`). */
export const ADMIN_PASSWORD = 'correct-horse-battery';

/** HOMEPORT_SECRET_KEY on the KV store unless the test's env sets one (KV seals generated secrets with it). */
export const TEST_SECRET_KEY = 'the-test-secret-key-0123456789abcdef';

/** What a test's `compose` is given to build its Homeport from. */
export interface TestComposeParts {
  config: Config;
  /** Captured: every line ends up in `logs`. */
  log: Logger;
  clock: (() => number) | undefined;
  /** Collects what would be announced on stderr (the generated first-admin password). */
  announce: (text: string) => void;
}

export interface TestHomeportOptions {
  /** The modules besides accounts, in start order (default none: accounts alone). */
  modules?: readonly Module[];
  /** Settings as environment variables (they win over the builder's defaults). */
  env?: Record<string, string>;
  /** Default: a new temp dir, removed after the test file. Reuse one to restart the same Homeport. */
  dataDir?: string;
  /** Injected into every module's context, so a test can move time. */
  clock?: () => number;
  /** Where state lives (default sqlite). `kv` needs `natsUrl`. */
  store?: 'sqlite' | 'kv';
  /**
   * A nats-server's URL (`startNatsServer()` from @homeport/testkit). State on KV lives in that server: two
   * test Homeports on one server are two replicas of one Homeport; start a server per test file or per test.
   */
  natsUrl?: string;
  /** How to compose instead of accounts + `modules` (the app composes its whole self). */
  compose?: (parts: TestComposeParts) => Promise<Composition>;
}

export interface TestHomeport {
  homeport: Composition;
  app: Composition['app'];
  dataDir: string;
  /** Every JSON log line written so far. */
  logs: string[];
  /** Text that would have gone to stderr (the generated first-admin password). */
  announced: string[];
  /** Signs in through POST /api/v1/auth/login (default: the first admin); resolves to the session token. */
  login(username?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/** A fresh temp folder for a data dir (removed after the test file, by the testkit). */
export function newDataDir(): string {
  return tempDir('homeport-test-');
}

/** The header a bearer credential goes in. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function storeEnv(options: TestHomeportOptions): Record<string, string> {
  if ((options.store ?? 'sqlite') === 'sqlite') return {};
  if (options.natsUrl === undefined) {
    throw new Error("store: 'kv' needs natsUrl (startNatsServer() from @homeport/testkit)");
  }
  return { HOMEPORT_STORE: 'kv', HOMEPORT_NATS_URL: options.natsUrl, HOMEPORT_SECRET_KEY: TEST_SECRET_KEY };
}

/**
 * Builds a Homeport in-process: accounts (with the first admin, password ADMIN_PASSWORD) and `modules`, on a
 * temp data dir, nothing listening until `homeport.listen()`. Close it after each test.
 *
 * @example
 * let t: TestHomeport | undefined;
 * afterEach(async () => t?.close());
 *
 * it('lists exports to a signed-in member', async () => {
 *   t = await buildTestHomeport({ modules: [createNasModule({ version: 'test' })], env: { HOMEPORT_CLIENT_TOKEN: token } });
 *   const admin = await t.login();
 *   const response = await t.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
 *   expect(response.statusCode).toBe(200);
 * });
 *
 * // The same suite on JetStream KV:
 * const nats = await startNatsServer();
 * t = await buildTestHomeport({ modules, store: 'kv', natsUrl: nats.url });
 */
export async function buildTestHomeport(options: TestHomeportOptions = {}): Promise<TestHomeport> {
  const dataDir = options.dataDir ?? newDataDir();
  const logs: string[] = [];
  const announced: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => logs.push(line) } });
  const config = new Config({
    env: {
      HOMEPORT_DATA_DIR: dataDir,
      HOMEPORT_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...storeEnv(options),
      ...options.env,
    },
  });
  const announce = (text: string) => {
    announced.push(text);
  };
  const parts: TestComposeParts = { config, log, clock: options.clock, announce };
  const homeport = await (options.compose ?? composeWithAccounts(options.modules ?? []))(parts);
  return {
    homeport,
    app: homeport.app,
    dataDir,
    logs,
    announced,
    async login(username = 'admin', password = ADMIN_PASSWORD) {
      const response = await homeport.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password },
      });
      if (response.statusCode !== 200)
        throw new Error(`login as ${username} failed: ${response.statusCode} ${response.body}`);
      return response.json<{ token: string }>().token;
    },
    close: () => homeport.close(),
  };
}

/** Accounts and the given modules on core's composition, with the first admin made as at a first launch. */
function composeWithAccounts(modules: readonly Module[]) {
  return async ({ config, log, clock, announce }: TestComposeParts): Promise<Composition> => {
    const homeport = await composeModules({
      config,
      base: accountsBase,
      catalogue: modules,
      version: 'test',
      log,
      clock,
      // Off, as in the app's tests: a test file builds many Homeports.
      collectProcessMetrics: false,
    });
    await bootstrapFirstAdmin({ accounts: homeport.requireModule(ACCOUNTS), config, log, announce });
    return homeport;
  };
}
