// Builds a whole Homeport in-process for HTTP tests (Fastify inject, no socket), on a temp data dir,
// with the log captured so tests can check what it says (and what it must never say).

import { join } from 'node:path';
import { Config, createLogger, type Module } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { createHomeport, type Homeport } from '../../src/compose.js';

export const ADMIN_PASSWORD = 'correct-horse-battery';

export interface TestApp {
  homeport: Homeport;
  app: Homeport['app'];
  dataDir: string;
  /** Every JSON log line written so far. */
  logs: string[];
  /** Text the app announced on stderr (the generated first-admin password). */
  announced: string[];
  login(username?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** The modules besides accounts (default: Homeport's own). */
  catalogue?: readonly Module[];
  dataDir?: string;
  clock?: () => number;
}

export function newDataDir(): string {
  return tempDir('homeport-test-');
}

export async function buildApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? newDataDir();
  const logs: string[] = [];
  const announced: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => logs.push(line) } });
  const config = new Config({
    env: {
      HOMEPORT_DATA_DIR: dataDir,
      HOMEPORT_ADMIN_PASSWORD: ADMIN_PASSWORD,
      HOMEPORT_WEB_DIR: join(dataDir, 'no-web'),
      // In-process tests exercise the API; the NAS agent tests run real processes with the agent on.
      HOMEPORT_EMBEDDED_AGENT: 'false',
      ...options.env,
    },
  });
  const homeport = await createHomeport({
    config,
    log,
    collectProcessMetrics: false,
    announce: (text) => announced.push(text),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.catalogue ? { catalogue: options.catalogue } : {}),
  });
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

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The error body every route answers with. */
export interface ErrorResponse {
  error: { code: string; message: string };
}

/** Reads a fetch response's error body (the shape is the API's contract, checked by the assertions). */
export const errorOf = async (response: Response): Promise<ErrorResponse> =>
  (await response.json()) as ErrorResponse;
