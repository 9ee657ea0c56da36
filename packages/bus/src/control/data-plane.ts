// The bus's side of NATS: one stream per persisted room, one durable pull consumer per member of it (made by
// the server, never by a member), short-lived member users whose permissions name exactly their rooms, and
// revocation of a member's live users through the account's revocation list.
//
// Why members never create consumers: on nats-server 2.9 a user allowed to create a consumer on a stream may
// give it any deliver subject, and has no `filter_subjects` to confine it. Homeport creates each member's
// consumer itself (`m_<member>` on `BUSROOM_<room>`), starting where the room's history visibility says, and
// the member may only pull from consumers of that name: a consumer of that name exists only on the streams
// of the rooms the member is in, so `*.m_<member>` grants nothing else and keeps the JWT small.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger, NatsAccounts } from '@homeport/core';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { fromSeed } from '@nats-io/nkeys';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { BusError } from '../errors.js';
import type { RoomRecord } from '../store/repositories.js';
import { watchMemberServers } from './member-servers.js';

/** The stream of a persisted room. */
/** 10 s: see ensureMemberConsumer. */
const MEMBER_ACK_WAIT_NS = 10 * 1_000_000_000;

export const roomStream = (roomId: string) => `BUSROOM_${roomId}`;
/** A member's short name in NATS names (consumer names, inbox prefix): 22 characters of its key's digest. */
export const memberToken = (signPub: string) =>
  createHash('sha256').update(Buffer.from(signPub, 'hex')).digest('base64url').slice(0, 22);
export const memberConsumer = (signPub: string) => `m_${memberToken(signPub)}`;
/** Where a member's replies arrive; the SDK sets it as its connection's `inboxPrefix`. */
export const memberInbox = (signPub: string) => `_INBOX.${memberToken(signPub)}`;
/** Where the server tells a member that its rooms changed (fetch new credentials). */
export const memberControlSubject = (signPub: string) => `bus.ctl.${memberToken(signPub)}`;
export const roomSubject = (roomId: string) => `bus.room.${roomId}`;

export interface MemberGrantInput {
  signPub: string;
  /** The NATS user key the client made (`U…`); its seed never leaves the client. */
  natsPub: string;
  rooms: readonly RoomRecord[];
  expiresAt: Date;
}

export interface IssuedMemberCredential {
  jwt: string;
  inboxPrefix: string;
  controlSubject: string;
}

export interface DataPlane {
  /** Creates (or updates the limits of) a persisted room's stream. */
  ensureRoomStream(room: RoomRecord): Promise<void>;
  deleteRoomStream(roomId: string): Promise<void>;
  /** A member's pull consumer on a persisted room, from the start (shared history) or from `startAt`. */
  ensureMemberConsumer(room: RoomRecord, signPub: string, startAt: Date | undefined): Promise<void>;
  deleteMemberConsumer(roomId: string, signPub: string): Promise<void>;
  issueMember(input: MemberGrantInput): Promise<IssuedMemberCredential>;
  /** Puts the account's revocation list in force on the server (closes those users' connections). */
  setRevocations(revocations: Record<string, number>): Promise<void>;
  /** Tells a member its rooms changed. Best effort. */
  /**
   * Tells a member's SDK what changed: `rooms_changed` (its set of rooms grew: a new credential is due),
   * `epoch_changed` (a rekey: fetch the new key, the credential stands), `members_changed` (someone joined:
   * read the members, so the newcomer's first frame is placed), `removed` (its credentials are revoked).
   */
  notifyMember(
    signPub: string,
    event: { type: 'rooms_changed' | 'epoch_changed' | 'members_changed' | 'removed'; roomId: string },
  ): void;
  /** This node's URL for members (`tls://` with HOMEPORT_BUS_LISTEN). */
  url: string;
  /** The CA members pin to verify the member listener (the generated bus CA); undefined without TLS. */
  ca: string | undefined;
  /** Every node's URL for members, this node's first (a cluster's other nodes as they announce themselves). */
  servers(): string[];
  close(): Promise<void>;
}

const NATS_USER_KEY = /^U[A-Z2-7]{55}$/;

/** Permissions of a member user: its rooms' subjects, its own consumers, its inbox and control subject. */
export function memberPermissions(signPub: string, rooms: readonly RoomRecord[]) {
  const consumer = memberConsumer(signPub);
  const roomSubjects = rooms.map((room) => `${roomSubject(room.id)}.>`);
  const anyPersisted = rooms.some((room) => room.policy.persisted);
  const jsPull = anyPersisted
    ? [
        `$JS.API.CONSUMER.MSG.NEXT.*.${consumer}`,
        `$JS.API.CONSUMER.INFO.*.${consumer}`,
        `$JS.ACK.*.${consumer}.>`,
      ]
    : [];
  return {
    publish: { allow: [...roomSubjects, ...jsPull] },
    subscribe: { allow: [...roomSubjects, `${memberInbox(signPub)}.>`, memberControlSubject(signPub)] },
    // Agent rooms answer requests on the requester's inbox without a publish permission for it.
    responses: { max: 1, ttlMs: 60_000 },
  };
}

export interface DataPlaneOptions {
  accounts: NatsAccounts;
  log: Logger;
  /** Bound on each JetStream call. */
  timeoutMs?: number;
}

/** The user key of a creds file (its seed section), or undefined when there is none. */
function credsUserKey(creds: Uint8Array): string | undefined {
  const seed = /-----BEGIN USER NKEY SEED-----\s+(SU[A-Z2-7]+)\s+/.exec(
    Buffer.from(creds).toString('utf8'),
  )?.[1];
  return seed === undefined ? undefined : fromSeed(new TextEncoder().encode(seed)).getPublicKey();
}

export async function openDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { accounts, log } = options;
  // serviceCreds is the path of the BUS service user's creds file (0600, under the data dir).
  const serviceCreds = readFileSync(accounts.serviceCreds('BUS'));
  // Never issued to a member: a member's credentials are revoked by key when it loses a room, and revoking
  // this key would cut Homeport's own bus connections (the data plane, the gateway) until a restart.
  const serviceKey = credsUserKey(serviceCreds);
  const nc: NatsConnection = await connect({
    servers: accounts.url,
    authenticator: credsAuthenticator(serviceCreds),
    name: 'homeport-bus',
    maxReconnectAttempts: -1,
    ...(accounts.tls === undefined ? {} : { tls: accounts.tls }),
  });
  const timeout = options.timeoutMs ?? 5000;
  const jsm: JetStreamManager = await jetstreamManager(nc, { timeout });
  const js: JetStreamClient = jetstream(nc, { timeout });
  void js;

  // Room streams made before they denied purge and message delete get the same guard (a member's one-shot
  // answer could otherwise purge them); nats-server allows turning both on, never off.
  for await (const info of jsm.streams.list()) {
    const config = info.config;
    if (!config.name.startsWith(roomStream('')) || (config.deny_purge && config.deny_delete)) continue;
    await jsm.streams
      .update(config.name, { ...config, deny_purge: true, deny_delete: true })
      .catch((error: unknown) =>
        log.warn({ err: error, stream: config.name }, 'bus: could not guard a room stream'),
      );
  }

  const memberServers = watchMemberServers({ nc, url: accounts.member.url, log });

  const isNotFound = (error: unknown) => /not found/i.test(String((error as Error)?.message ?? error));

  return {
    url: accounts.member.url,
    ca: accounts.member.ca,
    servers: () => memberServers.list(),
    async ensureRoomStream(room) {
      const config = {
        name: roomStream(room.id),
        subjects: [`${roomSubject(room.id)}.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_msgs: room.retention.maxMessages,
        max_bytes: room.retention.maxBytes,
        max_age: room.retention.maxAgeMs * 1_000_000,
        max_msg_size: 1024 * 1024,
        // Frames carry their id as Nats-Msg-Id: a publish retried after a lost ack is stored once.
        duplicate_window: 2 * 60 * 1_000_000_000,
        // Nobody purges or deletes single frames of a room's history through the API (Homeport deletes the
        // whole stream with the room). A member's `responses` permission lets whoever sends it a request pick
        // the subject of its one answer — `$JS.API.STREAM.PURGE.<any room>` included, which nats-server runs
        // as that member's request whatever its deny list says.
        deny_purge: true,
        deny_delete: true,
        num_replicas: 1,
      };
      try {
        await jsm.streams.add(config);
      } catch (error) {
        if (!/already in use|exists/i.test(String((error as Error).message))) throw error;
        await jsm.streams.update(config.name, config);
      }
    },
    async deleteRoomStream(roomId) {
      try {
        await jsm.streams.delete(roomStream(roomId));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    async ensureMemberConsumer(room, signPub, startAt) {
      await jsm.consumers.add(roomStream(room.id), {
        durable_name: memberConsumer(signPub),
        ack_policy: AckPolicy.Explicit,
        // What a reader pulled but never acknowledged (it closed its subscription, or was killed) goes to the
        // identity's next reader after this; a handler slower than this sees the frame again and the SDK drops
        // it as a replay.
        ack_wait: MEMBER_ACK_WAIT_NS,
        ...(startAt === undefined
          ? { deliver_policy: DeliverPolicy.All }
          : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: startAt.toISOString() }),
        max_ack_pending: 1000,
      });
    },
    async deleteMemberConsumer(roomId, signPub) {
      try {
        await jsm.consumers.delete(roomStream(roomId), memberConsumer(signPub));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    async issueMember(input) {
      if (!NATS_USER_KEY.test(input.natsPub))
        throw new BusError('bus_bad_request', 'natsPub must be a NATS user public key (U…, 56 characters)');
      if (input.natsPub === serviceKey)
        throw new BusError('bus_conflict', 'This NATS key is taken; make a new one for each credential');
      const permissions = memberPermissions(input.signPub, input.rooms);
      const issued = await accounts.issueUser('BUS', {
        name: `bus-member-${memberToken(input.signPub)}`,
        publicKey: input.natsPub,
        ...permissions,
        expiresAt: input.expiresAt,
      });
      return {
        jwt: issued.jwt,
        inboxPrefix: memberInbox(input.signPub),
        controlSubject: memberControlSubject(input.signPub),
      };
    },
    async setRevocations(revocations) {
      await accounts.setRevocations('BUS', revocations);
    },
    notifyMember(signPub, event) {
      try {
        nc.publish(memberControlSubject(signPub), JSON.stringify(event));
      } catch (error) {
        log.warn({ err: error }, 'could not notify a bus member');
      }
    },
    async close() {
      memberServers.close();
      if (nc.isClosed()) return;
      // Bounded: at shutdown the managed server may already be gone, and drain would wait on a reconnect.
      await Promise.race([
        nc.drain().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2000)),
      ]);
      if (!nc.isClosed()) await nc.close();
    },
  };
}
