// What bench/bus measures against: the built Homeport with the bus on its managed nats-server, a bus admin
// seeded on the host as an operator would (`homeport bus user add`), two members, their rooms, and the raw
// peer's stream, a copy of a persisted room's stream configuration on the same server.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BusClient, type RoomView } from '@homeport/bus/client';
import { generateIdentity, type Identity, identityToJson, signPubHex, toHex } from '@homeport/bus/crypto';
import { HOMEPORT_BUNDLE, type HomeportInstance, startHomeport } from '@homeport/testkit';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { Member, RawNats } from './protocol.js';

/** Homeport's settings for the run, printed with the figures. */
export const HOMEPORT_ENV = { HOMEPORT_RATE_LIMIT_MAX: '0', HOMEPORT_EMBEDDED_AGENT: 'false' } as const;

export const RAW_STREAM = 'BENCH_RAW';
export const RAW_JS_SUBJECT = 'bench.raw.persisted';
export const RAW_SUBJECT = 'bench.raw.msg';

export interface BusSetup {
  homeport: HomeportInstance;
  admin: BusClient;
  adminIdentity: Identity;
  /** Alice's client in this process: owner of the rooms, inviting for the revocation samples. */
  aliceClient: BusClient;
  alice: Member;
  bob: Member;
  aliceIdentity: Identity;
  /** Ephemeral, encrypted, signed: alice publishes, bob subscribes. */
  liveRoom: RoomView;
  /** Persisted (the default policy), encrypted, signed: alice publishes. */
  persistedRoom: RoomView;
  nats: RawNats;
  /** The nats-server's version, for the output. */
  natsVersion: string;
  describeStreams: string;
  close(): Promise<void>;
}

const run = promisify(execFile);

/** `homeport bus user add` on the data dir: the first bus admin can only be seeded on the host. */
async function seedAdmin(homeport: HomeportInstance, identity: Identity): Promise<void> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('HOMEPORT_') && value !== undefined) env[key] = value;
  await run(
    process.execPath,
    [
      HOMEPORT_BUNDLE,
      'bus',
      'user',
      'add',
      '--data-dir',
      homeport.dataDir,
      '--handle',
      'bench-admin',
      '--role',
      'admin',
      '--sign-pub',
      signPubHex(identity),
      '--kex-pub',
      toHex(identity.kexPub),
    ],
    { env },
  );
}

export async function setUpBus(workDir: string): Promise<BusSetup> {
  const homeport = await startHomeport({ env: HOMEPORT_ENV, logFile: join(workDir, 'homeport.log') });
  const clients: BusClient[] = [];
  try {
    const adminIdentity = generateIdentity();
    await seedAdmin(homeport, adminIdentity);
    const client = (identity: Identity) => {
      const made = BusClient.create({ controlUrls: [homeport.url], identity });
      clients.push(made);
      return made;
    };
    const admin = client(adminIdentity);
    const aliceIdentity = generateIdentity();
    const bobIdentity = generateIdentity();
    for (const [identity, handle] of [
      [aliceIdentity, 'alice'],
      [bobIdentity, 'bob'],
    ] as const)
      await admin.users.add({ signPub: signPubHex(identity), kexPub: toHex(identity.kexPub), handle });
    const aliceClient = client(aliceIdentity);
    const liveRoom = await aliceClient.createRoom({ name: 'bench-live', policy: { persisted: false } });
    await aliceClient.invite(liveRoom.id, signPubHex(bobIdentity));
    const persistedRoom = await aliceClient.createRoom({ name: 'bench-persisted' });

    // Where members connect, as the control plane hands it out.
    const credential = await admin.control.call<{ servers: string[] }>('POST', '/credentials', {
      natsPub: createUser().getPublicKey(),
    });
    const url = credential.servers[0];
    if (url === undefined) throw new Error('the control plane handed out no NATS server');
    const nats: RawNats = { url, credsFile: join(homeport.dataDir, 'nats', 'users', 'BUS.creds') };

    // The raw peer's stream: the persisted room's own configuration, on its own subject, with one durable
    // consumer like the one Homeport made for the room's only member.
    const nc = await connect({
      servers: url,
      authenticator: credsAuthenticator(readFileSync(nats.credsFile)),
    });
    let natsVersion: string;
    let describeStreams: string;
    try {
      natsVersion = nc.info?.version ?? '?';
      const jsm = await jetstreamManager(nc);
      const room = await jsm.streams.info(`BUSROOM_${persistedRoom.id}`);
      await jsm.streams.add({ ...room.config, name: RAW_STREAM, subjects: [RAW_JS_SUBJECT] });
      await jsm.consumers.add(RAW_STREAM, {
        durable_name: 'bench',
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 1000,
      });
      const consumers = (await jsm.streams.info(`BUSROOM_${persistedRoom.id}`)).state.consumer_count;
      const c = room.config;
      describeStreams =
        `BUSROOM_${persistedRoom.id} and ${RAW_STREAM}: ${c.storage} storage, R${c.num_replicas}, max_msgs ${c.max_msgs}, ` +
        `max_bytes ${c.max_bytes}, discard ${c.discard}, duplicate_window ${c.duplicate_window / 1e9}s, ` +
        `${consumers} durable consumer(s) each`;
    } finally {
      await nc.close();
    }
    return {
      homeport,
      admin,
      adminIdentity,
      aliceClient,
      alice: { controlUrl: homeport.url, identityJson: identityToJson(aliceIdentity) },
      bob: { controlUrl: homeport.url, identityJson: identityToJson(bobIdentity) },
      aliceIdentity,
      liveRoom,
      persistedRoom,
      nats,
      natsVersion,
      describeStreams,
      async close() {
        for (const made of clients) await made.close().catch(() => undefined);
        await homeport.process.stop();
      },
    };
  } catch (error) {
    for (const made of clients) await made.close().catch(() => undefined);
    await homeport.process.stop();
    throw error;
  }
}
