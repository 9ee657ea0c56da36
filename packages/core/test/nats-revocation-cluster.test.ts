// Revocation in a cluster of three managed nats-servers (identity derived from the secret key, loopback routes
// with route credentials): the account update pushed through node 1's system connection reaches every node's
// full resolver, node 2 closes the revoked member's connection, and node 2 keeps refusing it after a restart.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, removeTempDirs, stopAll, tempDir } from '@homeport/testkit';
import { createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config, type ManagedNats, natsSettings, startManagedNats } from '../src/index.js';
import { readAccountJwt } from '../src/nats/account-jwt.js';
import { clusterKeyDeriver } from '../src/nats/derived-keys.js';

const SECRET_KEY = 'revocation-cluster-secret-key-0123456789';
const log = pino({ level: 'silent' });
const connections: NatsConnection[] = [];
const servers: ManagedNats[] = [];
afterAll(async () => {
  await Promise.all(connections.map((nc) => (nc.isClosed() ? undefined : nc.close())));
  await Promise.all(servers.map((server) => server.stop()));
  await stopAll();
  removeTempDirs();
});

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function monitor<T>(server: ManagedNats, path: string): Promise<T> {
  const response = await fetch(`${server.monitorUrl}${path}`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as T; // monitoring JSON; the fields read are checked where they are used
}

interface Member {
  key: KeyPair;
  jwt: string;
}

async function issueMember(node: ManagedNats, id: string): Promise<Member> {
  const key = createUser();
  const issued = await node.issueUser('BUS', {
    name: `bus-member-${id}`,
    publicKey: key.getPublicKey(),
    publish: { allow: ['bus.room.r1.>'] },
    subscribe: { allow: ['bus.room.r1.>', `_INBOX.${id}.>`] },
  });
  return { key, jwt: issued.jwt };
}

async function connectMember(node: ManagedNats, member: Member, id: string): Promise<NatsConnection> {
  const nc = await connect({
    servers: node.url,
    authenticator: jwtAuthenticator(member.jwt, member.key.getSeed()),
    inboxPrefix: `_INBOX.${id}`,
    reconnect: false,
  });
  connections.push(nc);
  return nc;
}

describe('revocation in a cluster of three managed nats-servers', () => {
  const bus = clusterKeyDeriver(SECRET_KEY)('account-BUS').getPublicKey();
  let nodes: [ManagedNats, ManagedNats, ManagedNats];
  let env: (i: number) => Record<string, string>;
  const dataDirs = [1, 2, 3].map((i) => tempDir(`homeport-nats-revocation-n${i}-`));

  const startNode = async (i: number): Promise<ManagedNats> => {
    const server = await startManagedNats({
      dataDir: dataDirs[i] as string,
      log,
      cluster: new Config({ env: env(i) }).read(natsSettings),
      secretKey: SECRET_KEY,
      initialBackoffMs: 200,
      stopTimeoutMs: 5000,
    });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    const routePorts: number[] = [];
    while (routePorts.length < 3) {
      const port = await freePort();
      if (!routePorts.includes(port)) routePorts.push(port);
    }
    env = (i) => ({
      HOMEPORT_NATS_SERVER_NAME: `n${i + 1}`,
      HOMEPORT_NATS_CLUSTER_NAME: 'homeport-revocation',
      HOMEPORT_NATS_CLUSTER_LISTEN: `127.0.0.1:${routePorts[i]}`,
      HOMEPORT_NATS_CLUSTER_ROUTES: routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(','),
      HOMEPORT_NATS_CLUSTER_USER: 'homeport-route',
      HOMEPORT_NATS_CLUSTER_PASSWORD: 'route-password-for-the-test',
    });
    const started: ManagedNats[] = [];
    for (const i of [0, 1, 2]) started.push(await startNode(i));
    nodes = started as [ManagedNats, ManagedNats, ManagedNats];
    for (const node of nodes)
      await until(`${node.serverName} to route to both others`, async () => {
        return (await monitor<{ num_routes: number }>(node, '/routez')).num_routes === 2;
      });
  }, 90_000);

  it('closes a member connected to node 2 when node 1 revokes it, and every node refuses it after', async () => {
    const [n1, n2, n3] = nodes;
    const member = await issueMember(n1, 'm1');
    const nc = await connectMember(n2, member, 'm1');
    await nc.flush();
    const closed = nc.closed().then(() => performance.now());
    // Node 1's server must know node 2's resolver is listening for account updates before the push means
    // anything: that interest crosses the route when it is made.
    await until('node 2 to be known on node 1 as a resolver of account updates', async () => {
      const routez = await monitor<{ routes: { subscriptions_list?: string[] }[] }>(n1, '/routez?subs=1');
      return routez.routes.every((route) =>
        (route.subscriptions_list ?? []).includes('$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE'),
      );
    });

    // Measured from a second later than node 1's BUS JWT (signed at its start): an update in that same second
    // first waits for the next one.
    const signedAt = readAccountJwt(readFileSync(join(n1.dir, 'accounts', 'BUS.jwt'), 'utf8'))?.iat ?? 0;
    await until("a second after node 1's BUS JWT was signed", () => Date.now() / 1000 >= signedAt + 1, 3000);
    const started = performance.now();
    await n1.setRevocations('BUS', { [member.key.getPublicKey()]: Math.floor(Date.now() / 1000) });
    const confirmedMs = performance.now() - started;
    let timer: NodeJS.Timeout | undefined;
    const closedAt = await Promise.race([
      closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('node 2 kept the revoked member connected for 10 s')),
          10_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const closedMs = closedAt - started;
    console.error(
      `[nats-revocation-cluster] pushed on node 1 → member on node 2 disconnected after ${closedMs.toFixed(1)} ms (node 1's server confirmed after ${confirmedMs.toFixed(1)} ms)`,
    );
    expect(closedMs).toBeLessThan(5000);

    // Every node's full resolver stored the JWT node 1 signed (they answer the update on their own).
    const signed = readFileSync(join(n1.dir, 'accounts', 'BUS.jwt'), 'utf8').trim();
    for (const node of nodes)
      await until(`${node.serverName}'s resolver to store the update`, () => {
        const stored = readFileSync(join(node.dir, 'resolver', `${bus}.jwt`), 'utf8').trim();
        return stored === signed;
      });
    for (const node of [n1, n2, n3])
      await expect(connectMember(node, member, 'm1')).rejects.toThrow(/authori[sz]ation|revoked/i);
    const other = await issueMember(n3, 'm2');
    await (await connectMember(n2, other, 'm2')).close();
  });

  it('keeps refusing the revoked member on node 2 after node 2 restarts, though its own account file predates the update', async () => {
    const [n1, n2] = nodes;
    const member = await issueMember(n1, 'm3');
    const onN2 = await connectMember(n2, member, 'm3');
    const revokedAt = Math.floor(Date.now() / 1000);
    // The whole list goes each time: the member revoked by the test before stays revoked.
    const { revocations } = readAccountJwt(readFileSync(join(n1.dir, 'accounts', 'BUS.jwt'), 'utf8')) ?? {};
    await n1.setRevocations('BUS', { ...revocations, [member.key.getPublicKey()]: revokedAt });
    await until('node 2 to close the member', () => onN2.isClosed(), 10_000);

    const ownFile = readFileSync(join(n2.dir, 'accounts', 'BUS.jwt'), 'utf8');
    await n2.stop();
    const restarted = await startNode(1);
    nodes[1] = restarted;
    // Node 2 did not sign its BUS JWT again (nothing in its layout changed): its older file is preloaded and
    // the resolver keeps the newer JWT it stored from node 1.
    expect(readFileSync(join(restarted.dir, 'accounts', 'BUS.jwt'), 'utf8')).toBe(ownFile);
    await expect(connectMember(restarted, member, 'm3')).rejects.toThrow(/authori[sz]ation|revoked/i);
  });
});
