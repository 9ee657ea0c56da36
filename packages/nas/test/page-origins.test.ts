// The web UI's pages may reach the storage agents the control plane knows (their CSP), and only those.

import { nasEnv, nasHarness } from '@homeport/nas/testing';
import { until } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_ORIGINS_REFRESH_MS } from '../src/control/page-origins.js';
import { buildNasHomeport, type TestHomeport } from './support/homeport.js';

let t: TestHomeport;
afterEach(async () => {
  await t?.close();
});
const nas = nasHarness(() => t);

const pageCsp = async () =>
  String((await t.app.inject({ url: '/health' })).headers['content-security-policy']);

describe('pages’ content security policy', () => {
  it('lets pages connect to a node once it registers, and to it alone', async () => {
    t = await buildNasHomeport({ env: nasEnv() });
    expect(await pageCsp()).toContain("connect-src 'self';");
    const { node } = await nas.register();
    expect(node.directAddress).toBe('http://127.0.0.1:8090');
    await until(
      async () => (await pageCsp()).includes("connect-src 'self' http://127.0.0.1:8090;"),
      PAGE_ORIGINS_REFRESH_MS * 3,
    );
    const csp = await pageCsp();
    expect(csp).toContain("img-src 'self' data: http://127.0.0.1:8090;");
    expect(csp).toContain("media-src 'self' http://127.0.0.1:8090;");
    expect(csp).not.toMatch(/ https?: /);
    // An API answer keeps its own policy.
    expect((await t.app.inject({ url: '/api/v1/auth/config' })).headers['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  }, 30_000);
});
