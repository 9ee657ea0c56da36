// Test support for the proxy worker pool: a pool of real worker processes (proxy-worker.ts through tsx) with
// its log lines captured, and an upstream that holds requests until the test lets them go.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogger } from '@homeport/core';
import { Registry } from 'prom-client';
import { createProxyWorkerPool, type ProxyWorkerPool } from '../src/proxy/index.js';
import { DEFAULT_LIMITS, startUpstream, type TestUpstream } from './proxy-support.js';

export interface TestPool {
  pool: ProxyWorkerPool;
  port: number;
  registry: Registry;
  lines: Record<string, unknown>[];
  logged(msg: string): Record<string, unknown>[];
}

export async function startPool(
  options: {
    count?: number;
    probeToken?: string;
    stopTimeoutMs?: number;
    before?: (pool: ProxyWorkerPool) => Promise<void>;
  } = {},
): Promise<TestPool> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const registry = new Registry();
  const pool = createProxyWorkerPool({
    count: options.count ?? 2,
    log,
    metrics: registry,
    limits: DEFAULT_LIMITS,
    ...(options.probeToken === undefined ? {} : { probeToken: options.probeToken }),
    ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
  });
  await options.before?.(pool);
  const port = await pool.listen('127.0.0.1', 0);
  return { pool, port, registry, lines, logged: (msg) => lines.filter((line) => line.msg === msg) };
}

export interface HoldingUpstream extends TestUpstream {
  /** Requests that arrived and wait to be answered. */
  held(): number;
  /** Answers every held request (200, the upstream's name) and those that arrive from now on. */
  release(): void;
}

/** An upstream that holds each request until release(): a slow request in flight, as long as the test wants. */
export async function startHoldingUpstream(name: string): Promise<HoldingUpstream> {
  const waiting: ServerResponse[] = [];
  let released = false;
  const answer = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
    res.end(name);
  };
  const upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (released) answer(res);
    else waiting.push(res);
  });
  return {
    ...upstream,
    held: () => waiting.length,
    release() {
      released = true;
      for (const res of waiting.splice(0)) answer(res);
    },
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
