// One Vitest run over every package: in-process HTTP tests, and tests that start real processes.

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/setup/testkit-cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: real processes (servers, browsers) in parallel files would fight for them.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
