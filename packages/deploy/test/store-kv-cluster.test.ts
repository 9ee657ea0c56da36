// The deploy store on JetStream KV on a real 3-node cluster, every bucket with 3 replicas: the contract suite.
//
// Concurrent compare-and-set on a replicated stream is serialized only by servers with the fix for
// nats-io/nats-server#4320 (2.9.21); before it, two writes at one revision can both be accepted, and the
// contract's tests of concurrent writers (one claim of a stage wins, a host goes to one stage) cannot hold. On
// such a server they are replaced by a check that Homeport refuses to run KV with replicas there.

import { execFileSync } from 'node:child_process';
import { clusteredKvProblem, MIN_CLUSTERED_KV_SERVER } from '@homeport/core';
import { type NatsClusterInstance, requireCommand, startNatsCluster } from '@homeport/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { describeDeployStoreContract } from './store-contract.js';
import { freshKvStore, natsClient } from './store-kv-support.js';

/** The version of the nats-server the testkit starts. */
function serverVersion(): string {
  const binary = requireCommand('nats-server', 'nats-server', `${process.env.PATH ?? ''}:/usr/sbin`);
  const text = execFileSync(binary, ['--version']).toString();
  const match = /(\d+\.\d+\.\d+)/.exec(text);
  if (!match?.[1]) throw new Error(`cannot read the nats-server version from "${text.trim()}"`);
  return match[1];
}

const version = serverVersion();
const refusal = clusteredKvProblem(version, 3);

let cluster: NatsClusterInstance;
let nc: NatsConnection;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  nc = await natsClient(cluster.urls);
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

describeDeployStoreContract(
  'JetStream KV, 3-node cluster (R3)',
  () => freshKvStore(nc, cluster.urls, 3),
  refusal === undefined
    ? {}
    : {
        concurrencyUnsupported: {
          reason: `nats-server ${version} does not serialize concurrent compare-and-set on a clustered stream (nats-io/nats-server#4320, fixed in ${MIN_CLUSTERED_KV_SERVER.join('.')})`,
          refusal,
        },
      },
);
