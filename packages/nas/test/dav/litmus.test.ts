// Conformance: litmus (basic, copymove, props, locks, http) against the handler on a real socket must pass every
// test with no warning; Apache mod_dav gets 2 warnings, rclone serve webdav fails 9 tests.

import { removeTempDirs, runLitmus } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, startDavServer } from './dav-server.js';

describe('litmus', () => {
  let server: DavTestServer;

  beforeAll(async () => {
    server = await startDavServer();
  });

  afterAll(async () => {
    await server.close();
    removeTempDirs();
  });

  it('passes every group with no failure and no warning', async () => {
    const result = await runLitmus(server.url);
    console.log(`litmus against ${server.url}\n${result.summaryText}`);
    expect(result.groups.map((group) => group.group)).toEqual([
      'basic',
      'copymove',
      'props',
      'locks',
      'http',
    ]);
    expect(result.failures, result.output).toEqual([]);
    expect(result.warnings, result.output).toEqual([]);
    for (const group of result.groups) {
      expect(group, group.summary).toMatchObject({ failed: 0, warnings: 0, skipped: 0 });
      expect(group.passed, group.summary).toBe(group.run);
    }
  }, 120_000);
});
