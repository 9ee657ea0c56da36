// The accounts store contract on a 3-node nats-server cluster with R3 buckets, then losing nodes. With one
// of three gone, a write lands again within 5 s and no acknowledged write is lost. With two gone there is no
// quorum: every write fails with store_unavailable within its bound at once, and every read too once the
// lone node is no stream leader (a leader left alone serves reads until raft notices, 10–20 s on 2.9).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  clusteredKvProblem,
  createJetStreamKv,
  KV_CALL_TIMEOUT_MS,
  type KvStore,
  StoreError,
} from '@homeport/core';
import {
  type NatsClusterInstance,
  type NatsServerInstance,
  requireCommand,
  startNatsCluster,
} from '@homeport/testkit';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKvAccountsStore } from '../src/store/kv-store.js';
import type {
  AccountsStore,
  LoginAttemptRecord,
  SessionRecord,
  UserRecord,
} from '../src/store/repositories.js';
import { describeAccountsStore } from './store-contract.js';

let cluster: NatsClusterInstance;
let nc: NatsConnection;
let modules = 0;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

const freshModule = () => {
  modules += 1;
  return `accounts${modules}`;
};

/**
 * A Kvm whose buckets answer reads through the stream leader only (`allow_direct: false`), so a read sees
 * every acknowledged write and a node without quorum cannot answer. core's kv-jetstream.ts leaves JetStream's
 * default (any replica answers gets: stale reads, and reads without quorum); the last test pins that gap.
 */
const kvOf = (module: string, kvm: Kvm = new Kvm(nc)): KvStore =>
  createJetStreamKv({ kvm, module, replicas: 3 });

/** The installed nats-server's version (`nats-server: v2.9.10` → `2.9.10`), read before the suite is declared. */
function natsServerVersion(): string {
  const binary = requireCommand('nats-server', 'nats-server', `${process.env.PATH ?? ''}:/usr/sbin`);
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).replace(/^.*v/s, '').trim();
}

/** Whether the servers serialise concurrent writes at one revision on a replicated stream. */
function serialisedCas(version: string | undefined): boolean {
  const [major = 0, minor = 0, patch = 0] = (version ?? '0')
    .split('.')
    .map((part) => Number.parseInt(part, 10));
  return major > 2 || (major === 2 && (minor > 9 || (minor === 9 && patch >= 21)));
}

describeAccountsStore(
  'kv R3',
  async ({ clock }) => ({
    store: await createKvAccountsStore(kvOf(freshModule()), { clock }),
    close: async () => {},
  }),
  // Read when the suite is collected: the version the installed nats-server reports on a probe run.
  serialisedCas(natsServerVersion())
    ? {}
    : {
        unserialisedCas: {
          reason: `nats-server ${natsServerVersion()} applies two concurrent updates or deletes at the same revision on a replicated stream (nats-server#4320, fixed in 2.9.21)`,
          refusal: clusteredKvProblem(natsServerVersion(), 3),
        },
      },
);

const newUser = (): UserRecord => {
  const id = `usr_${randomBytes(6).toString('hex')}`;
  const at = new Date().toISOString();
  return {
    id,
    username: id,
    passwordHash: null,
    role: 'member',
    status: 'active',
    createdAt: at,
    updatedAt: at,
  };
};

const newSession = (userId: string): SessionRecord => ({
  id: `ses_${randomBytes(6).toString('hex')}`,
  tokenHash: randomBytes(32).toString('hex'),
  userId,
  createdAt: new Date().toISOString(),
  expiresAt: Date.now() + 3_600_000,
  lastSeenAt: new Date().toISOString(),
  ip: null,
  userAgent: null,
});

/** The node leading the stream behind a bucket (where a stop hurts most: a new leader must be elected). */
async function leaderOf(bucket: string): Promise<NatsServerInstance> {
  const info = await (await jetstream(nc).jetstreamManager()).streams.info(`KV_${bucket}`);
  const node = cluster.nodes.find((candidate) => candidate.name === info.cluster?.leader);
  if (!node) throw new Error(`no leader for ${bucket}: ${JSON.stringify(info.cluster)}`);
  return node;
}

/** Waits until both followers of the stream behind a bucket have caught up with its leader. */
async function replicasCurrent(bucket: string): Promise<void> {
  const jsm = await jetstream(nc).jetstreamManager();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const replicas = (await jsm.streams.info(`KV_${bucket}`)).cluster?.replicas ?? [];
    if (replicas.length === 2 && replicas.every((replica) => replica.current)) return;
    if (Date.now() > deadline)
      throw new Error(`${bucket}: replicas not current: ${JSON.stringify(replicas)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Retries `attempt` on store_unavailable until it succeeds or `timeoutMs` passes. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof StoreError) || error.code !== 'store_unavailable' || Date.now() > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function restartAll(options: { healthz?: boolean } = {}): Promise<void> {
  // Together: a restarted node is ready once JetStream caught up, which may need the others back too.
  const stopped = cluster.nodes.filter((node) => node.process.exitStatus() !== undefined);
  await Promise.all(stopped.map((node) => node.restart()));
  await cluster.waitForJetStream(undefined, options);
}

/** Each call's outcome: the StoreError code it failed with and how long it took, or 'succeeded'. */
async function outcomes(calls: Record<string, () => Promise<unknown>>) {
  const results: Record<string, { outcome: string; ms: number }> = {};
  await Promise.all(
    Object.entries(calls).map(async ([name, call]) => {
      const started = Date.now();
      const outcome = await call().then(
        () => 'succeeded',
        (error: unknown) => (error instanceof StoreError ? error.code : `other: ${String(error)}`),
      );
      results[name] = { outcome, ms: Date.now() - started };
    }),
  );
  return results;
}

describe('kv R3: losing nodes', () => {
  it('writes again within 5 s of losing the stream leader, and loses nothing acknowledged', async () => {
    const { store, module } = await openStore();
    const owner = newUser();
    await store.users.create(owner);
    const acknowledged: SessionRecord[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const session = newSession(owner.id);
        try {
          await store.sessions.create(session);
          acknowledged.push(session);
        } catch (error) {
          if (!(error instanceof StoreError)) throw error;
        }
      }
    })();
    await eventually(async () => {
      if (acknowledged.length < 20) throw new StoreError('store_unavailable', 'warming up');
    }, 10_000);

    const victim = await leaderOf(`${module}_records`);
    await victim.stop();
    const stopped = Date.now();
    const before = acknowledged.length;
    await eventually(async () => {
      if (acknowledged.length === before) throw new StoreError('store_unavailable', 'no write yet');
    }, 10_000);
    const writable = await eventually(async () => {
      const user = newUser();
      await store.users.create(user);
      return Date.now() - stopped;
    }, 10_000);
    expect(writable).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    writing = false;
    await writer;

    expect(acknowledged.length).toBeGreaterThan(before);
    // Still one node down: every acknowledged session reads back, by key.
    for (const session of acknowledged) {
      expect(await store.sessions.byTokenHash(session.tokenHash), session.id).toEqual(session);
    }
    await restartAll();
    // Listings make a consumer on the stream, which nats-server 2.9 may place on a peer that is still
    // catching up: allow a few bounded attempts.
    const listed = await eventually(() => store.sessions.listForUser(owner.id), 20_000);
    expect(listed.map((session) => session.id).sort()).toEqual(
      acknowledged.map((session) => session.id).sort(),
    );
  }, 90_000);

  it('with two of three nodes gone, writes fail within the bound at once, reads once the lone leader steps down', async () => {
    const { store, module } = await openStore();
    const { owner, session, attempt } = await seed(store);
    // The worst case: the node left is the stream's leader, which keeps serving reads until raft notices
    // it lost its quorum (nats-server 2.9: 10–20 s); a follower left alone refuses them at once.
    await replicasCurrent(`${module}_records`);
    const survivor = await leaderOf(`${module}_records`);
    await Promise.all(cluster.nodes.filter((node) => node !== survivor).map((node) => node.stop()));
    const lostQuorum = Date.now();
    try {
      const writes = await outcomes({
        'users.create': () => store.users.create(newUser()),
        'users.update': () => store.users.update(owner.id, { status: 'disabled' }, new Date().toISOString()),
        'sessions.create': () => store.sessions.create(newSession(owner.id)),
        'sessions.deleteById': () => store.sessions.deleteById(session.id),
        'sessions.touch': () => store.sessions.touch(session.id, new Date().toISOString()),
        'loginAttempts.take': () => store.loginAttempts.take(attempt.stateHash),
      });
      for (const [name, { outcome, ms }] of Object.entries(writes)) {
        expect(outcome, name).toBe('store_unavailable');
        // Each call is bounded; one that reads before it writes may take two bounds.
        expect(ms, name).toBeLessThan(2 * KV_CALL_TIMEOUT_MS + 1000);
      }
      const reads = await readsFailClosed(store, owner, session, 30_000);
      expect(Date.now() - lostQuorum).toBeLessThan(30_000);
      for (const [name, { ms }] of Object.entries(reads))
        expect(ms, name).toBeLessThan(2 * KV_CALL_TIMEOUT_MS + 1000);
    } finally {
      // The lone leader may hold refused writes in its log: on nats-server 2.9.10 a peer can then fail /healthz
      // for over a minute (seen in full runs here) while the cluster already answers — so only a meta leader is
      // awaited here, and the store itself just below.
      await restartAll({ healthz: false });
    }
    // Quorum back: the store serves again. (The refused writes are not asserted away: a write that timed out
    // sat in the lone leader's log and may commit once its peers return — "unavailable" means "unknown".)
    const later = newUser();
    await eventually(() => store.users.create(later), 30_000);
    expect(await store.users.byId(later.id)).toEqual(later);
    expect((await store.users.byId(owner.id))?.id).toBe(owner.id);
  }, 150_000);

  // With JetStream's default allow_direct every replica answers gets: a replica cut off from the others may
  // keep serving its copy, and a read right after a write may miss it. Whether a lone node still answers
  // depends on its role and timing, so the configuration core gives its buckets is checked instead.
  it('core creates buckets whose reads go through the stream leader', async () => {
    const module = freshModule();
    await eventually(() => createKvAccountsStore(kvOf(module, new Kvm(nc))), 30_000);
    const jsm = await jetstream(nc).jetstreamManager();
    for (const bucket of ['records', 'login_attempts']) {
      expect((await jsm.streams.info(`KV_${module}_${bucket}`)).config.allow_direct, bucket).toBe(false);
    }
  });
});

/** Polls the reads of authentication until every one fails with store_unavailable; throws after `timeoutMs`. */
async function readsFailClosed(
  store: AccountsStore,
  owner: UserRecord,
  session: SessionRecord,
  timeoutMs: number,
): Promise<Record<string, { outcome: string; ms: number }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const results = await outcomes(readsOf(store, owner, session));
    const answered = Object.entries(results).filter(([, { outcome }]) => outcome !== 'store_unavailable');
    if (answered.length === 0) return results;
    if (Date.now() > deadline) throw new Error(`still answered without quorum: ${JSON.stringify(answered)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A store on fresh buckets; creating R3 streams waits until every restarted peer counts as online again. */
async function openStore(kvm?: Kvm): Promise<{ store: AccountsStore; module: string }> {
  const module = freshModule();
  return { store: await eventually(() => createKvAccountsStore(kvOf(module, kvm)), 30_000), module };
}

async function seed(store: AccountsStore) {
  const owner = newUser();
  await store.users.create(owner);
  const session = newSession(owner.id);
  await store.sessions.create(session);
  const attempt: LoginAttemptRecord = {
    stateHash: randomBytes(32).toString('hex'),
    bindingHash: randomBytes(32).toString('hex'),
    codeVerifier: 'verifier',
    nonce: 'nonce',
    issuer: 'https://idp.example',
    intent: 'login',
    userId: null,
    returnTo: null,
    expiresAt: Date.now() + 3_600_000,
  };
  await store.loginAttempts.create(attempt);
  return { owner, session, attempt };
}

/** The reads authentication makes: none of them may answer without quorum. */
const readsOf = (store: AccountsStore, owner: UserRecord, session: SessionRecord) => ({
  'sessions.byTokenHash': () => store.sessions.byTokenHash(session.tokenHash),
  'sessions.byId': () => store.sessions.byId(session.id),
  'users.byId': () => store.users.byId(owner.id),
  'users.byUsername': () => store.users.byUsername(owner.username),
  'tokens.byTokenHash': () => store.tokens.byTokenHash('0'.repeat(64)),
  'users.list': () => store.users.list(),
});
