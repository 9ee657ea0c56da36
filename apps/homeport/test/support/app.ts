// Builds the whole Homeport in-process for the app's HTTP tests (Fastify inject, no socket): the accounts
// test builder (@homeport/accounts/testing) composing the app itself — its catalogue, settings and web UI.

import { join } from 'node:path';
import { buildTestHomeport, newDataDir, type TestHomeport } from '@homeport/accounts/testing';
import type { Module } from '@homeport/core';
import { createHomeport, moduleCatalogue } from '../../src/compose.js';

export { ADMIN_PASSWORD, bearer, newDataDir } from '@homeport/accounts/testing';

export type TestApp = TestHomeport;

export interface TestAppOptions {
  env?: Record<string, string>;
  /**
   * The modules besides accounts (default: Homeport's own without the bus, which would start a nats-server
   * for every test; the bus's tests live in packages/bus and the end-to-end ones run the real binary).
   */
  catalogue?: readonly Module[];
  /** Homeport's whole catalogue, the bus included, as the app composes it (its hooks between modules too). */
  withBus?: boolean;
  dataDir?: string;
  clock?: () => number;
}

export function buildApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? newDataDir();
  return buildTestHomeport({
    dataDir,
    ...(options.clock ? { clock: options.clock } : {}),
    env: {
      HOMEPORT_WEB_DIR: join(dataDir, 'no-web'),
      // In-process tests exercise the API; the NAS agent tests run real processes with the agent on.
      HOMEPORT_EMBEDDED_AGENT: 'false',
      ...options.env,
    },
    compose: ({ config, log, clock, announce }) =>
      createHomeport({
        config,
        log,
        clock,
        collectProcessMetrics: false,
        announce,
        catalogue: options.withBus
          ? undefined
          : (options.catalogue ?? moduleCatalogue().filter((module) => module.name !== 'bus')),
      }),
  });
}

/** The error body every route answers with. */
export interface ErrorResponse {
  error: { code: string; message: string };
}

/** Reads a fetch response's error body (the shape is the API's contract, checked by the assertions). */
export const errorOf = async (response: Response): Promise<ErrorResponse> =>
  (await response.json()) as ErrorResponse;
