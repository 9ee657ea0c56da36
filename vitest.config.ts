// One Vitest run over every package: in-process HTTP tests, and tests that start real processes.

import { defineConfig } from 'vitest/config';

// Suites that run a NATS cluster (three nats-server, and for some two Homeport processes) and take nodes
// down: run one at a time after everything else, because on two cores their Raft elections and catch-up
// stall when they share the machine with each other or with the rest of the suite.
const CLUSTER_SUITES = [
  'packages/*/test/store-kv-cluster.test.ts',
  'packages/core/test/nats-cluster.test.ts',
  'packages/core/test/quorum.test.ts',
  'packages/core/test/nats-revocation-cluster.test.ts',
  'apps/homeport/test/cluster.test.ts',
  'apps/homeport/test/bus-cli-cluster.test.ts',
];

// What every project shares.
const common = {
  setupFiles: ['test/setup/testkit-cleanup.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    // Two cores: real processes (servers, browsers) in parallel files would fight for them.
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...common,
          name: 'suites',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...CLUSTER_SUITES],
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'cluster',
          include: CLUSTER_SUITES,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
