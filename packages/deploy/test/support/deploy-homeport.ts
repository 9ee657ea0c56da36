// A Homeport with accounts and the deploy module on a private dockerd and a local registry, listening on a
// free loopback port: admin JSON calls, waiting for a deploy to end, and requests through the built-in proxy.

import { request } from 'node:http';
import { ADMIN_PASSWORD, bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import {
  type DockerdInstance,
  type RegistryInstance,
  startDockerd,
  startRegistry,
  until,
} from '@homeport/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createDeployModule, DEPLOY, type DeployApi, type DeployModuleOptions } from '../../src/index.js';
import type { DeployRecord } from '../../src/model.js';

export interface Engine {
  dockerd: DockerdInstance;
  registry: RegistryInstance;
  stop(): Promise<void>;
}

/** One dockerd and one registry for a test file (starting dockerd costs seconds). */
export async function startEngine(
  options: { notifications?: { url: string; token: string } } = {},
): Promise<Engine> {
  const [dockerd, registry] = await Promise.all([
    startDockerd(),
    startRegistry(options.notifications ? { notifications: options.notifications } : {}),
  ]);
  return {
    dockerd,
    registry,
    async stop() {
      await Promise.all([dockerd.stop(), registry.stop()]);
    },
  };
}

export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the fields they assert on one by one
  json: any;
}

export interface DeployHomeport {
  t: TestHomeport;
  url: string;
  deploy: DeployApi;
  admin: string;
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiAnswer>;
  /** Polls a deploy until it is finished; returns the record. */
  finished(deployId: string, timeoutMs?: number): Promise<DeployRecord>;
  /** GET through the built-in proxy with this Host. */
  viaProxy(
    host: string,
    path?: string,
  ): Promise<{ status: number; body: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startDeployHomeport(
  engine: Engine,
  options: {
    env?: Record<string, string>;
    dataDir?: string;
    module?: DeployModuleOptions;
    /** State on JetStream KV in this nats-server (default SQLite). */
    natsUrl?: string;
    store?: 'sqlite' | 'kv';
  } = {},
): Promise<DeployHomeport> {
  const t = await buildTestHomeport({
    modules: [createDeployModule({ pollMs: 200, ...options.module })],
    env: {
      HOMEPORT_PORT: '0',
      HOMEPORT_DOCKER_HOST: engine.dockerd.dockerHost,
      HOMEPORT_PROXY_PORT: '0',
      HOMEPORT_RATE_LIMIT_MAX: '0',
      ...options.env,
    },
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.store === 'kv' && options.natsUrl !== undefined
      ? { store: 'kv' as const, natsUrl: options.natsUrl }
      : {}),
  });
  const url = await t.homeport.listen();
  const deploy = t.homeport.requireModule(DEPLOY);
  const admin = await t.login('admin', ADMIN_PASSWORD);
  const api = async (method: string, path: string, body?: unknown, token: string | null = admin) => {
    const response = await fetch(`${url}/api/v1/deploy${path}`, {
      method,
      headers: {
        ...(token === null ? {} : bearer(token)),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
  return {
    t,
    url,
    deploy,
    admin,
    api,
    async finished(deployId, timeoutMs = 90_000) {
      let record: DeployRecord | undefined;
      await until(
        async () => {
          const answer = await api('GET', `/deploys/${deployId}`);
          record = answer.json as DeployRecord;
          return !['queued', 'running'].includes(record.status);
        },
        timeoutMs,
        100,
      );
      if (!record) throw new Error('no deploy record');
      return record;
    },
    viaProxy(host, path = '/') {
      const port = deploy.proxyPort();
      if (port === undefined) throw new Error('the proxy is not listening');
      return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            }),
          );
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    },
    close: () => t.close(),
  };
}

/** A stage configuration for the testkit's images, quick to gate and to drain. */
export function stageConfig(image: string, host: string | null, extra: Record<string, unknown> = {}) {
  return {
    image,
    host,
    health: {
      path: '/health',
      intervalMs: 100,
      timeoutMs: 1_000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
    deployTimeoutMs: 30_000,
    drainTimeoutMs: 2_000,
    stopTimeoutMs: 2_000,
    watchMs: 1_000,
    graceMs: 600_000,
    ...extra,
  };
}

/**
 * One engine (dockerd + registry) and one in-process Homeport for a test file: started before its tests,
 * handed to `started`, stopped after them.
 *
 * @example
 *   let engine: Engine;
 *   let h: DeployHomeport;
 *   useDeployHomeport((started) => ({ engine, h } = started));
 */
export function useDeployHomeport(
  started: (parts: { engine: Engine; h: DeployHomeport }) => void,
  options: Parameters<typeof startDeployHomeport>[1] = {},
): void {
  let engine: Engine | undefined;
  let h: DeployHomeport | undefined;
  beforeAll(async () => {
    engine = await startEngine();
    h = await startDeployHomeport(engine, options);
    started({ engine, h });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await engine?.stop();
  }, 60_000);
}
