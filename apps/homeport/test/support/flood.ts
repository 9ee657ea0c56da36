// Shared by the flood tests: a request on a connection of its own, and "the control plane keeps answering
// /health and logins for a while" under whatever the test throws at the process.

import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import type { HomeportInstance } from '@homeport/testkit';
import { expect } from 'vitest';

/**
 * The status of one request on a connection of its own (fetch would reuse a pooled connection opened before
 * the flood, and miss that new ones are refused); 0 when the connection fails or takes over 3 s.
 */
export function freshRequest(base: string, method: string, path: string, body?: unknown): Promise<number> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: false,
        timeout: 3_000,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}

/** Descriptors the server process holds now (Linux /proc; the test runs as the same user). */
export const descriptorsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Polls until the process holds at least `count` descriptors: the flood has been taken in. */
export async function untilDescriptors(pid: number, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (descriptorsOf(pid) < count) {
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** For `forMs`, /health and a login answer 200 every round, each on a new connection. Returns the rounds. */
export async function keepsAnswering(homeport: HomeportInstance, forMs: number): Promise<number> {
  const ends = Date.now() + forMs;
  let rounds = 0;
  while (Date.now() < ends) {
    expect(await freshRequest(homeport.url, 'GET', '/health')).toBe(200);
    const login = { username: 'admin', password: homeport.adminPassword };
    expect(await freshRequest(homeport.url, 'POST', '/api/v1/auth/login', login)).toBe(200);
    rounds += 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return rounds;
}
