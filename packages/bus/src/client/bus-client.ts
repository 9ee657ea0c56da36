// The bus SDK for Node: a signed control-plane client, a NATS connection with a short-lived user JWT for the
// client's own key (renewed before it lapses and whenever the server says the rooms changed), room keys opened
// from their sealed copies, frames sealed, signed, verified and opened, history then live for persisted rooms.

import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { type ConsumerMessages, type JetStreamClient, type JsMsg, jetstream } from '@nats-io/jetstream';
import { createUser, type KeyPair } from '@nats-io/nkeys';
import {
  connect,
  jwtAuthenticator,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  createReplayGuard,
  decryptPayload,
  encryptPayload,
  endpointId,
  fromBase64Url,
  type Identity,
  newRoomKey,
  openFrame,
  openRoomKey,
  type ReplayGuard,
  sealFrame,
  sealRoomKey,
  signPubHex,
  toBase64Url,
  ulid,
  ulidTime,
} from '../crypto/index.js';
import { BusClientError, type ControlClient, createControlClient, isLoopbackHost } from './control-client.js';
import type {
  BlobReference,
  BusUserView,
  CreateRoomOptions,
  CredentialView,
  MemberView,
  MessageHandler,
  RoomView,
} from './types.js';

export interface BusClientOptions {
  /** Control-plane base URLs (a seed list: tried in order, failing over on errors). */
  controlUrls: readonly string[];
  identity: Identity;
  /** PEM of the CA to pin for the control plane and NATS (TLS required then). */
  ca?: string;
  /**
   * PEM of the CA to pin for NATS alone. Without it, NATS trusts `ca` and the CA of the member listener
   * that the control plane's credential carries (it came over the channel `ca` or loopback protects).
   */
  natsCa?: string;
  /** NATS URLs to use instead of those the server hands out (e.g. several nodes of a cluster). */
  natsServers?: readonly string[];
  /** Logs of reconnects and renewals (default: none). */
  onEvent?: (event: BusClientEvent) => void;
}

/**
 * The TLS options of the member connection, or undefined for cleartext loopback. A `nats://` server off
 * loopback is refused: nats.js upgrades to TLS only when the server's first line asks for it (or `tls` is
 * set), so a cleartext URL would let anyone on the path read the traffic or answer as the server.
 */
export function natsTlsFor(
  servers: readonly string[],
  options: Pick<BusClientOptions, 'ca' | 'natsCa'>,
  credential: Pick<CredentialView, 'ca'>,
): NatsTls | undefined {
  let anyTls = false;
  const hosts: string[] = [];
  for (const server of servers) {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `nats://${server}`);
    hosts.push(url.hostname.replace(/^\[|\]$/g, ''));
    if (url.protocol === 'tls:') anyTls = true;
    else if (url.protocol !== 'nats:')
      throw new Error(`${server}: NATS servers are tls:// (or nats:// on loopback)`);
    else if (!isLoopbackHost(url.hostname))
      throw new Error(
        `${server}: cleartext nats:// is accepted only on loopback; the server must offer tls://`,
      );
  }
  const pinned =
    options.natsCa !== undefined
      ? [options.natsCa]
      : [options.ca, credential.ca].filter((pem): pem is string => pem !== undefined);
  // Cleartext loopback servers only: no TLS, even with a CA for the control plane (`ca` pins HTTPS too; with
  // the tls option set, nats.js would demand TLS of a loopback port that does not offer it).
  if (!anyTls) return undefined;
  return {
    // No CA at all: the system's roots (an operator's publicly trusted certificate).
    ...(pinned.length === 0 ? {} : { ca: pinned.join('\n') }),
    // nats.js gives node:tls no server name for an IP address, and node then checks the certificate against
    // "localhost": the certificate must instead name one of the servers this connection may use.
    checkServerIdentity: (_host, cert) => {
      const errors = hosts.map((host) => checkServerIdentity(host, cert));
      return errors.some((error) => error === undefined) ? undefined : errors[0];
    },
  };
}

/** TLS options of the member connection (node:tls options that nats.js passes through). */
export interface NatsTls {
  ca?: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

export type BusClientEvent =
  | { type: 'connected'; server: string }
  | { type: 'reconnected'; server: string }
  | { type: 'disconnected' }
  | { type: 'credential_renewed'; expiresAt: string }
  | { type: 'removed'; roomId: string }
  | { type: 'dropped'; roomId: string; reason: string };

interface RoomState {
  room: RoomView;
  members: Map<string, MemberView>; // endpoint id → member
  keys: Map<number, Uint8Array>;
  /** Keys being fetched: the frames of a new epoch arrive by the thousand, and one fetch serves them all. */
  keysLoading: Map<number, Promise<Uint8Array | undefined>>;
  replay: ReplayGuard;
  sentInEpoch: number;
  refreshing: Promise<void> | undefined;
  /** The rekey this client started because the room was due one; every publish meanwhile waits for it. */
  rotating: Promise<void> | undefined;
  /** When a frame this client could not place last made it read the room (ms). */
  placedAt: number;
  /** Epochs up to the room's whose key the server said this identity does not hold (until the epoch moves). */
  missingKeys: Set<number>;
  /** Epochs beyond the room's that signed frames named, each read for once (until the epoch moves). */
  epochsAsked: Set<number>;
}

export interface BusSubscription {
  close(): Promise<void>;
}

const MSG_SUFFIX = 'msg';
/** A member's inbox token: the first characters of its endpoint id (base64url of SHA-256 of its sign_pub). */
const MEMBER_TOKEN_CHARS = 22;
/** How long after a rekey frames of the previous epochs are still taken (senders that had not seen it yet). */
const STALE_EPOCH_GRACE_MS = 60_000;
/**
 * How much older than the time a frame reached the bus (the stream's store time; for core NATS, arrival) its
 * id may be: clock skew between sender and server, and a publish retried. An older id is a frame sent again.
 */
const MAX_FRAME_AGE_MS = 5 * 60_000;
/**
 * A frame from an unknown sender or of an epoch without a key makes the client read the room at most this
 * often: otherwise every junk frame a member publishes costs each reader one or two signed requests, and the
 * readers' own request budget (per address) runs out. Joins and rekeys are announced on the control subject.
 */
const PLACE_REFRESH_MS = 1000;
/** Distinct future epochs a room's signed frames may make the client read the room for, per epoch. */
const MAX_EPOCHS_ASKED = 16;
/** Frames one sender seals under one epoch's key before it rekeys, whatever the room's policy says. */
export const MAX_FRAMES_PER_SENDER_EPOCH = 2 ** 22;
/** Core-NATS frames handed to nats.js at once at most (a bound on what a tight publish loop holds back). */
const OUTGOING_BATCH = 256;

export class BusClient {
  readonly control: ControlClient;
  readonly identity: Identity;
  readonly signPub: string;
  readonly endpointId: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private natsKey: KeyPair = createUser();
  private credential: CredentialView | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private readonly rooms = new Map<string, RoomState>();
  /** Core-NATS frames published but not yet handed to nats.js (see publishSoon). */
  private readonly outgoing: { nc: NatsConnection; subject: string; data: Uint8Array }[] = [];
  /** Rooms being read for the first time, shared by every caller meanwhile (a burst of publishes). */
  private readonly roomsLoading = new Map<string, Promise<RoomState>>();
  /** Decoded signing keys of member views (dropped with the views a refresh replaces). */
  private readonly memberKeys = new WeakMap<MemberView, Uint8Array>();
  private closed = false;

  private constructor(private readonly options: BusClientOptions) {
    this.identity = options.identity;
    this.signPub = signPubHex(options.identity);
    this.endpointId = endpointId(options.identity.signPub);
    this.control = createControlClient({
      urls: options.controlUrls,
      identity: options.identity,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
  }

  /** A client whose control plane answers; NATS is connected on first use (or by `connect()`). */
  static create(options: BusClientOptions): BusClient {
    return new BusClient(options);
  }

  // --- data plane -----------------------------------------------------------------------------------------

  /** Connects to NATS with a fresh credential (idempotent). */
  async connect(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return this.nc;
    await this.renewCredential();
    const credential = this.credential as CredentialView;
    const seed = this.natsKey.getSeed();
    const servers = this.options.natsServers ?? credential.servers;
    const tls = natsTlsFor(servers, this.options, credential);
    const nc = await connect({
      servers: [...servers],
      // Called at every (re)connect: a renewed JWT and key take effect at the next connect.
      authenticator: (nonce?: string) =>
        jwtAuthenticator((this.credential as CredentialView).jwt, this.natsKey.getSeed())(nonce),
      inboxPrefix: credential.inboxPrefix,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      name: `bus-${this.endpointId.slice(0, 12)}`,
      ...(tls === undefined ? {} : { tls }),
    });
    void seed;
    this.nc = nc;
    this.js = jetstream(nc, { timeout: 10_000 });
    this.options.onEvent?.({ type: 'connected', server: nc.getServer() });
    void this.watchStatus(nc);
    const control = nc.subscribe(credential.controlSubject, {
      callback: (_error, msg) => this.onControl(msg),
    });
    void control;
    return nc;
  }

  private async watchStatus(nc: NatsConnection) {
    for await (const status of nc.status()) {
      if (status.type === 'reconnect')
        this.options.onEvent?.({ type: 'reconnected', server: nc.getServer() });
      if (status.type === 'disconnect') this.options.onEvent?.({ type: 'disconnected' });
    }
  }

  private onControl(msg: Msg) {
    let event: { type?: string; roomId?: string };
    try {
      event = msg.json();
    } catch {
      return;
    }
    if (event.type === 'removed' && event.roomId) {
      this.rooms.delete(event.roomId);
      this.options.onEvent?.({ type: 'removed', roomId: event.roomId });
    }
    if (event.roomId) {
      const state = this.rooms.get(event.roomId);
      if (state) void this.refreshRoom(state).catch(() => undefined);
    }
    // A room this credential does not name yet: a new credential and a reconnect put it in force. A rekey
    // (`epoch_changed`) needs only the room's new key; reconnecting for it would cut pulls in flight.
    if (event.type === 'rooms_changed' && event.roomId) {
      const roomId = event.roomId;
      void this.ensureCredentialNames(roomId).catch(() => undefined);
    }
  }

  /** Renews (once, whoever asks) unless the credential in force, or the one being fetched, names the room. */
  private async ensureCredentialNames(roomId: string): Promise<void> {
    await this.renewing;
    if (this.credential?.rooms.includes(roomId)) return;
    await this.renewAndReconnect();
  }

  /** Asks for a new JWT for a new NATS key and schedules the next renewal at 2/3 of its life. */
  private async renewCredential(): Promise<void> {
    const key = createUser();
    const credential = await this.control.call<CredentialView>('POST', '/credentials', {
      natsPub: key.getPublicKey(),
    });
    this.natsKey = key;
    this.credential = credential;
    clearTimeout(this.renewTimer);
    const life = Date.parse(credential.expiresAt) - Date.now();
    this.renewTimer = setTimeout(
      () => void this.renewAndReconnect().catch(() => undefined),
      Math.max(1000, (life * 2) / 3),
    );
    this.renewTimer.unref();
    this.options.onEvent?.({ type: 'credential_renewed', expiresAt: credential.expiresAt });
  }

  /**
   * NATS with a credential that names the room. A room joined after the credential was issued (an invite
   * while connected) is not in it yet: the server would refuse its subjects, so renew and reconnect first
   * rather than leave the caller to retry until the server's membership event arrives.
   */
  private async connectFor(roomId: string): Promise<NatsConnection> {
    const nc = await this.connect();
    await this.ensureCredentialNames(roomId);
    return this.nc ?? nc;
  }

  /**
   * A new credential, then a reconnect so the server applies it (subscriptions are restored by the client).
   * Concurrent callers share one renewal: two back to back would reconnect twice, and a core-NATS message
   * published during the second would be lost to this client.
   */
  renewAndReconnect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.renewing ??= (async () => {
      try {
        await this.renewCredential();
        const nc = this.nc;
        if (!nc || nc.isClosed()) return;
        const reconnected = reconnectedWithin(nc, RECONNECT_WAIT_MS);
        await nc.reconnect();
        await reconnected;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  // --- rooms ----------------------------------------------------------------------------------------------

  async createRoom(options: CreateRoomOptions): Promise<RoomView> {
    const encrypted = options.policy?.encrypted ?? true;
    const key = encrypted ? newRoomKey() : undefined;
    const body: Record<string, unknown> = { ...options };
    if (key) {
      // The server assigns ids; the first key is sealed to a reserved one (the sealed key is bound to it).
      const reserved = await this.control.call<{ roomId: string; reservation: string }>(
        'POST',
        '/rooms/reserve',
      );
      body.roomId = reserved.roomId;
      body.reservation = reserved.reservation;
      body.sealedKey = toBase64Url(
        await sealRoomKey(this.identity.kexPub, key, {
          roomId: reserved.roomId,
          epoch: 1,
          recipientSignPubHex: this.signPub,
        }),
      );
    }
    const room = await this.control.call<RoomView>('POST', '/rooms', body);
    const state = this.newState(room);
    if (key) state.keys.set(1, key);
    await this.refreshRoom(state);
    if (this.nc) await this.renewAndReconnect();
    return room;
  }

  /**
   * Opens a room this identity was invited to: its members, its key for the current epoch (a 409
   * `waiting_for_key` while the owner has not sealed one to it yet), and, when connected, a credential that
   * names it.
   */
  async join(roomId: string): Promise<RoomView & { members: MemberView[] }> {
    const state = await this.state(roomId);
    await this.refreshRoom(state);
    if (state.room.policy.encrypted && !(await this.keyOf(state, state.room.epoch)))
      throw new BusClientError(
        409,
        'waiting_for_key',
        'No key for the current epoch yet (waiting for a rekey)',
      );
    if (this.nc) await this.connectFor(roomId);
    return { ...state.room, members: [...state.members.values()] };
  }

  listRooms(): Promise<RoomView[]> {
    return this.control.call<RoomView[]>('GET', '/rooms');
  }

  private newState(room: RoomView): RoomState {
    const state: RoomState = {
      room,
      members: new Map(),
      keys: new Map(),
      keysLoading: new Map(),
      replay: createReplayGuard(),
      sentInEpoch: 0,
      refreshing: undefined,
      rotating: undefined,
      placedAt: 0,
      missingKeys: new Set(),
      epochsAsked: new Set(),
    };
    this.rooms.set(room.id, state);
    return state;
  }

  private async state(roomId: string): Promise<RoomState> {
    const known = this.rooms.get(roomId);
    if (known) return known;
    let loading = this.roomsLoading.get(roomId);
    if (loading === undefined) {
      loading = (async () => {
        try {
          const room = await this.control.call<RoomView & { members: MemberView[] }>(
            'GET',
            `/rooms/${roomId}`,
          );
          const state = this.newState(room);
          this.applyMembers(state, room.members);
          return state;
        } finally {
          this.roomsLoading.delete(roomId);
        }
      })();
      this.roomsLoading.set(roomId, loading);
    }
    return loading;
  }

  private applyMembers(state: RoomState, members: readonly MemberView[]) {
    state.members = new Map(members.map((member) => [member.endpointId, member]));
  }

  private refreshRoom(state: RoomState): Promise<void> {
    state.refreshing ??= (async () => {
      try {
        const room = await this.control.call<RoomView & { members: MemberView[] }>(
          'GET',
          `/rooms/${state.room.id}`,
        );
        if (room.epoch !== state.room.epoch) {
          state.sentInEpoch = 0;
          state.missingKeys.clear();
          state.epochsAsked.clear();
        }
        state.room = room;
        this.applyMembers(state, room.members);
      } finally {
        state.refreshing = undefined;
      }
    })();
    return state.refreshing;
  }

  /** The room key of an epoch, opened from the sealed copy the server keeps for this identity. */
  private async keyOf(state: RoomState, epoch: number): Promise<Uint8Array | undefined> {
    const known = state.keys.get(epoch);
    if (known) return known;
    let loading = state.keysLoading.get(epoch);
    if (loading === undefined) {
      loading = this.fetchKey(state, epoch).finally(() => state.keysLoading.delete(epoch));
      state.keysLoading.set(epoch, loading);
    }
    return loading;
  }

  private async fetchKey(state: RoomState, epoch: number): Promise<Uint8Array | undefined> {
    let sealed: { epoch: number; sealed: string };
    try {
      sealed = await this.control.call('GET', `/rooms/${state.room.id}/keys/mine?epoch=${epoch}`);
    } catch (error) {
      if (error instanceof BusClientError && error.status === 404) {
        state.missingKeys.add(epoch);
        return undefined;
      }
      throw error;
    }
    const bytes = fromBase64Url(sealed.sealed);
    if (!bytes) return undefined;
    const key = await openRoomKey(this.identity, bytes, {
      roomId: state.room.id,
      epoch,
      recipientSignPubHex: this.signPub,
    });
    state.keys.set(epoch, key);
    return key;
  }

  /** Looks up an identity's public keys on the allowlist (to invite it). */
  lookup(signPub: string): Promise<BusUserView> {
    return this.control.call<BusUserView>('GET', `/directory/${signPub}`);
  }

  /** Invites an identity: seals the current key (and earlier ones if the room shares history) to it. */
  async invite(roomId: string, signPub: string): Promise<MemberView[]> {
    const state = await this.state(roomId);
    await this.refreshRoom(state);
    const invitee = await this.lookup(signPub);
    const sealedKeys: { epoch: number; sealed: string }[] = [];
    if (state.room.policy.encrypted) {
      const epochs = state.room.history === 'shared' ? range(1, state.room.epoch) : [state.room.epoch];
      for (const epoch of epochs) {
        const key = await this.keyOf(state, epoch);
        if (!key) continue;
        const sealed = await sealRoomKey(hexBytes(invitee.kexPub), key, {
          roomId,
          epoch,
          recipientSignPubHex: invitee.signPub,
        });
        sealedKeys.push({ epoch, sealed: toBase64Url(sealed) });
      }
    }
    const members = await this.control.call<MemberView[]>('POST', `/rooms/${roomId}/members`, {
      signPub: invitee.signPub,
      sealedKeys,
    });
    this.applyMembers(state, members);
    return members;
  }

  /** Removes a member and starts the next epoch with a fresh key sealed to everyone else, in one request. */
  async remove(roomId: string, signPub: string): Promise<RoomView> {
    return this.rotate(roomId, signPub.toLowerCase());
  }

  /** Starts the next epoch with a fresh key sealed to every member. */
  async rekey(roomId: string): Promise<RoomView> {
    return this.rotate(roomId, undefined);
  }

  private async rotate(roomId: string, remove: string | undefined): Promise<RoomView> {
    const state = await this.state(roomId);
    for (let attempt = 0; ; attempt++) {
      await this.refreshRoom(state);
      const recipients = [...state.members.values()].filter((member) => member.signPub !== remove);
      const epoch = state.room.epoch;
      const key = state.room.policy.encrypted ? newRoomKey() : undefined;
      const sealedKeys = key
        ? await Promise.all(
            recipients.map(async (member) => ({
              signPub: member.signPub,
              sealed: toBase64Url(
                await sealRoomKey(hexBytes(member.kexPub), key, {
                  roomId,
                  epoch: epoch + 1,
                  recipientSignPubHex: member.signPub,
                }),
              ),
            })),
          )
        : [];
      const path =
        remove === undefined ? `/rooms/${roomId}/rekey` : `/rooms/${roomId}/members/${remove}/remove`;
      try {
        const room = await this.control.call<RoomView>('POST', path, { epoch, sealedKeys });
        if (key) state.keys.set(room.epoch, key);
        state.room = { ...state.room, ...room };
        state.sentInEpoch = 0;
        await this.refreshRoom(state);
        return room;
      } catch (error) {
        // Someone else rekeyed (or a member joined) meanwhile: read the room again and seal anew.
        if (error instanceof BusClientError && error.code === 'bus_epoch_conflict' && attempt < 3) continue;
        if (error instanceof BusClientError && error.status === 422 && attempt < 3) continue;
        throw error;
      }
    }
  }

  // --- messages -------------------------------------------------------------------------------------------

  /** Seals (encrypted rooms), signs (signed rooms) and publishes; acknowledged by the stream in persisted rooms. */
  async publish(roomId: string, payload: Uint8Array | string, subjectSuffix = MSG_SUFFIX): Promise<string> {
    const nc = await this.connectFor(roomId);
    const state = await this.state(roomId);
    await this.rotateIfDue(state);
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const key = state.room.policy.encrypted ? await this.keyOf(state, state.room.epoch) : null;
    if (state.room.policy.encrypted && !key)
      throw new BusClientError(
        409,
        'waiting_for_key',
        'No key for the current epoch yet (waiting for a rekey)',
      );
    const { frame, bytes: wire } = sealFrame({
      roomId,
      epoch: state.room.epoch,
      sender: this.identity,
      roomKey: key ?? null,
      sign: state.room.policy.signed,
      payload: bytes,
    });
    const subject = `${state.room.subject}.${subjectSuffix}`;
    if (state.room.policy.persisted)
      await (this.js as JetStreamClient).publish(subject, wire, { msgID: frame.id });
    else this.publishSoon(nc, subject, wire);
    state.sentInEpoch += 1;
    return frame.id;
  }

  /**
   * Hands core-NATS frames to nats.js together once the caller yields to the event loop (or 256 are waiting).
   * nats.js writes to the socket at the end of each microtask turn, and an awaited publish() ends one turn per
   * frame: a socket write per frame was ~15% of a publisher's CPU at 8,000 frames/s (bench/bus).
   */
  private publishSoon(nc: NatsConnection, subject: string, data: Uint8Array) {
    // Refused now, as nats.js would: a frame must not look sent when the connection is already gone.
    if (nc.isClosed() || nc.isDraining())
      throw new BusClientError(503, 'not_connected', 'The NATS connection is closed');
    this.outgoing.push({ nc, subject, data });
    if (this.outgoing.length >= OUTGOING_BATCH) this.flushOutgoing();
    else if (this.outgoing.length === 1) setImmediate(() => this.flushOutgoing());
  }

  private flushOutgoing() {
    const batch = this.outgoing.splice(0);
    for (const { nc, subject, data } of batch) {
      try {
        nc.publish(subject, data);
      } catch {
        // Closed between publish() and here: a core-NATS frame is best effort, as one sent during a reconnect.
      }
    }
  }

  private async rotateIfDue(state: RoomState) {
    // Whatever the room's policy, one sender starts a new epoch after 2^22 frames: with at most 1,000 members
    // that keeps an epoch under 2^32 frames, GCM's bound for random nonces (docs/bus-crypto.md).
    const cap = Math.min(
      state.room.rotation.maxMessages ?? MAX_FRAMES_PER_SENDER_EPOCH,
      MAX_FRAMES_PER_SENDER_EPOCH,
    );
    if (!state.room.rekeyDue && state.sentInEpoch < cap) return;
    // Publishes in flight all see the count cross at once: one rekey serves them (256 concurrent ones each
    // rekeying opened 256 control-plane connections, past the server's 64 per address).
    state.rotating ??= this.rekey(state.room.id)
      .then(() => undefined)
      .finally(() => {
        state.rotating = undefined;
      });
    await state.rotating;
  }

  /**
   * Messages of a room: for a persisted room its history from where this identity's reader stopped, then live;
   * for an ephemeral room live only. Frames that fail a check (forged, replayed, unknown sender, no key) are
   * dropped and reported through `onEvent`.
   */
  async subscribe(
    roomId: string,
    handler: MessageHandler,
    subjectSuffix = MSG_SUFFIX,
  ): Promise<BusSubscription> {
    const nc = await this.connectFor(roomId);
    const state = await this.state(roomId);
    await this.refreshRoom(state);
    const deliver = async (data: Uint8Array, subject: string, reachedBusAtMs: number) => {
      const opened = await this.open(state, data, reachedBusAtMs);
      if (opened) await handler({ ...opened, subject });
    };
    if (state.room.policy.persisted) {
      const consumer = await (this.js as JetStreamClient).consumers.get(
        `BUSROOM_${roomId}`,
        this.consumerName(),
      );
      const messages: ConsumerMessages = await consumer.consume({ max_messages: 256 });
      // Closing stops delivery at once: what was pulled but not handed to the handler is given back (nak) for
      // this identity's next reader, and a close from inside the handler does not wait for itself.
      let stopped = false;
      let delivering = false;
      const unhandled: JsMsg[] = [];
      void (async () => {
        for await (const message of messages) {
          if (stopped) {
            unhandled.push(message);
            continue;
          }
          delivering = true;
          try {
            if (message.subject.endsWith(`.${subjectSuffix}`))
              await deliver(message.data, message.subject, message.time.getTime());
          } finally {
            delivering = false;
            message.ack();
          }
        }
      })();
      return {
        close: async () => {
          stopped = true;
          // The nak goes out only once the server has seen the pull's subscription end: a nak it handles
          // before that redelivers into the old pull, and the message waits for the ack wait.
          const closed = messages
            .close()
            .then(() => nc.flush())
            .then(() => {
              for (const message of unhandled.splice(0)) message.nak();
            })
            .catch(() => undefined);
          if (!delivering) await closed;
        },
      };
    }
    const sub: Subscription = nc.subscribe(`${state.room.subject}.${subjectSuffix}`, {
      callback: (_error, msg) => void deliver(msg.data, msg.subject, Date.now()),
    });
    return { close: async () => sub.unsubscribe() };
  }

  private consumerName(): string {
    return `m_${this.memberToken()}`;
  }

  private memberToken(): string {
    return (this.credential as CredentialView).inboxPrefix.slice('_INBOX.'.length);
  }

  /** A member's signing key as bytes, decoded once per member view rather than for every frame. */
  private signPubBytes(member: MemberView): Uint8Array {
    let bytes = this.memberKeys.get(member);
    if (bytes === undefined) {
      bytes = hexBytes(member.signPub);
      this.memberKeys.set(member, bytes);
    }
    return bytes;
  }

  /**
   * Verifies and opens a frame. `reachedBusAtMs` is when the bus took it — the stream's store time, or arrival
   * for core NATS — never the frame's own id, which its sender chooses: a member replaying an old frame, or a
   * removed member of an unsigned room writing under its old key, picks whatever id time would pass.
   */
  private async open(state: RoomState, data: Uint8Array, reachedBusAtMs: number) {
    for (let attempt = 0; attempt < 2; attempt++) {
      // Keys already opened only: fetching one needs the frame's epoch, read (a second JSON parse) only when
      // this attempt says no_key — once per epoch, not for every frame.
      const result = openFrame(data, {
        roomId: state.room.id,
        keyFor: (epoch: number) => state.keys.get(epoch),
        senderSignPub: (id: string) => {
          const member = state.members.get(id);
          return member && member.status === 'active' ? this.signPubBytes(member) : undefined;
        },
        encrypted: state.room.policy.encrypted,
        signed: state.room.policy.signed,
        replay: state.replay,
        nowMs: Date.now(),
      });
      // A frame sealed under an earlier epoch well after the room moved on: whoever sealed it holds an old key
      // (a removed member, in an unsigned room) — history from before the rekey is still read.
      if (result.ok && ulidTime(result.frame.id) < reachedBusAtMs - MAX_FRAME_AGE_MS) {
        this.options.onEvent?.({ type: 'dropped', roomId: state.room.id, reason: 'replay' });
        return undefined;
      }
      if (
        result.ok &&
        result.frame.epoch < state.room.epoch &&
        reachedBusAtMs > Date.parse(state.room.epochStartedAt) + STALE_EPOCH_GRACE_MS
      ) {
        this.options.onEvent?.({ type: 'dropped', roomId: state.room.id, reason: 'stale_epoch' });
        return undefined;
      }
      if (result.ok)
        return {
          id: result.frame.id,
          sender: result.frame.sender,
          senderSignPub: state.members.get(result.frame.sender)?.signPub ?? '',
          handle: state.members.get(result.frame.sender)?.handle ?? '',
          epoch: result.frame.epoch,
          payload: result.payload,
        };
      // An unknown sender or epoch may be a member or a rekey we have not seen yet: read the room once more.
      if (attempt === 0 && (result.reason === 'unknown_sender' || result.reason === 'no_key')) {
        const epoch = state.room.policy.encrypted ? peekEpoch(data) : undefined;
        // A read in flight (a control event, another frame) serves this frame too. Otherwise a new one at most
        // once a second — except for a signed frame (its sender is a member: it verified) of an epoch beyond
        // the room's, a rekey not heard of yet, which is read once per epoch number.
        const rekeyNews =
          result.reason === 'no_key' &&
          state.room.policy.signed &&
          epoch !== undefined &&
          epoch > state.room.epoch &&
          !state.epochsAsked.has(epoch) &&
          state.epochsAsked.size < MAX_EPOCHS_ASKED;
        if (state.refreshing) await state.refreshing.catch(() => undefined);
        else if (rekeyNews || Date.now() - state.placedAt >= PLACE_REFRESH_MS) {
          if (rekeyNews) state.epochsAsked.add(epoch);
          state.placedAt = Date.now();
          await this.refreshRoom(state).catch(() => undefined);
        }
        // Only an epoch the room has reached, and whose key the server has not already said is not ours.
        if (epoch !== undefined && epoch <= state.room.epoch && !state.missingKeys.has(epoch))
          await this.keyOf(state, epoch).catch(() => undefined);
        continue;
      }
      this.options.onEvent?.({ type: 'dropped', roomId: state.room.id, reason: result.reason });
      return undefined;
    }
    return undefined;
  }

  // --- attachments --------------------------------------------------------------------------------------

  /**
   * Encrypts bytes with the room's current key (bound to room, epoch, this sender and a fresh id) and stores
   * them; send the returned reference in a message so members can fetch and open it.
   */
  async putBlob(roomId: string, bytes: Uint8Array): Promise<BlobReference> {
    const state = await this.state(roomId);
    const header = { v: 1 as const, roomId, epoch: state.room.epoch, sender: this.endpointId, id: ulid() };
    let stored: Uint8Array = bytes;
    if (state.room.policy.encrypted) {
      const key = await this.keyOf(state, header.epoch);
      if (!key) throw new BusClientError(409, 'waiting_for_key', 'No key for the current epoch yet');
      stored = encryptPayload(key, header, bytes);
    }
    const ref = await this.control.callBytes('PUT', `/rooms/${roomId}/blobs`, stored);
    const { hash, size } = JSON.parse(ref.toString('utf8')) as { hash: string; size: number };
    return { hash, size, epoch: header.epoch, id: header.id, sender: header.sender };
  }

  /** Fetches an attachment the room references and opens it; throws when it does not verify. */
  async getBlob(roomId: string, ref: BlobReference): Promise<Uint8Array> {
    const state = await this.state(roomId);
    const stored = await this.control.callBytes('GET', `/rooms/${roomId}/blobs/${ref.hash}`);
    if (!state.room.policy.encrypted) return stored;
    const key = await this.keyOf(state, ref.epoch);
    if (!key) throw new BusClientError(409, 'waiting_for_key', `No key of epoch ${ref.epoch}`);
    const opened = decryptPayload(
      key,
      { v: 1, roomId, epoch: ref.epoch, sender: ref.sender, id: ref.id },
      stored,
    );
    if (!opened)
      throw new BusClientError(422, 'blob_unopenable', 'The attachment does not open with the room key');
    return opened;
  }

  // --- request / reply (agent rooms) --------------------------------------------------------------------------

  /** Sends a request to `agent.<name>.in` of an agent room and waits for the sealed reply. */
  async request(
    roomId: string,
    agent: string,
    payload: Uint8Array | string,
    timeoutMs = 10_000,
  ): Promise<Uint8Array> {
    const nc = await this.connectFor(roomId);
    const state = await this.state(roomId);
    const key = state.room.policy.encrypted ? await this.keyOf(state, state.room.epoch) : null;
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const { bytes: wire } = sealFrame({
      roomId,
      epoch: state.room.epoch,
      sender: this.identity,
      roomKey: key ?? null,
      sign: state.room.policy.signed,
      payload: bytes,
    });
    const reply = await nc.request(`${state.room.subject}.agent.${agent}.in`, wire, { timeout: timeoutMs });
    const opened = await this.open(state, reply.data, Date.now());
    if (!opened) throw new BusClientError(502, 'bad_reply', 'The reply did not verify');
    return opened.payload;
  }

  /** Answers requests to `agent.<name>.in` of an agent room; each reply is sealed and signed like a message. */
  async serve(
    roomId: string,
    agent: string,
    handler: (request: {
      payload: Uint8Array;
      sender: string;
      handle: string;
    }) => Promise<Uint8Array | string>,
  ): Promise<BusSubscription> {
    const nc = await this.connectFor(roomId);
    const state = await this.state(roomId);
    await this.refreshRoom(state);
    const sub = nc.subscribe(`${state.room.subject}.agent.${agent}.in`, {
      callback: (_error, msg) =>
        void (async () => {
          const opened = await this.open(state, msg.data, Date.now());
          if (!opened || !msg.reply) return;
          // A requester's replies can only reach its own inbox (`_INBOX.<first 22 characters of its endpoint
          // id>`, the only inbox its credential may subscribe to). Any other reply subject is someone steering
          // this responder's one-shot publish permission elsewhere — e.g. `$JS.API.STREAM.PURGE.<stream>`,
          // which the server would run as this member's request. Nothing is answered, not even the handler run.
          if (!msg.reply.startsWith(`_INBOX.${opened.sender.slice(0, MEMBER_TOKEN_CHARS)}.`)) {
            this.options.onEvent?.({ type: 'dropped', roomId, reason: 'foreign_reply_subject' });
            return;
          }
          const answer = await handler({
            payload: opened.payload,
            sender: opened.sender,
            handle: opened.handle,
          });
          const key = state.room.policy.encrypted ? await this.keyOf(state, state.room.epoch) : null;
          const { bytes: wire } = sealFrame({
            roomId,
            epoch: state.room.epoch,
            sender: this.identity,
            roomKey: key ?? null,
            sign: state.room.policy.signed,
            payload: typeof answer === 'string' ? new TextEncoder().encode(answer) : answer,
          });
          msg.respond(wire);
        })().catch(() => undefined),
    });
    return { close: async () => sub.unsubscribe() };
  }

  // --- admin ----------------------------------------------------------------------------------------------

  readonly users = {
    list: () => this.control.call<BusUserView[]>('GET', '/users'),
    add: (input: { signPub: string; kexPub: string; handle: string; role?: 'admin' | 'member' }) =>
      this.control.call<BusUserView>('POST', '/users', input),
    revoke: (signPub: string) => this.control.call<BusUserView>('POST', `/users/${signPub}/revoke`),
  };

  /** The NATS server the client is attached to now. */
  get server(): string | undefined {
    return this.nc?.isClosed() === false ? this.nc.getServer() : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flushOutgoing();
    clearTimeout(this.renewTimer);
    if (this.nc && !this.nc.isClosed()) await this.nc.drain().catch(() => this.nc?.close());
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** The epoch a frame names, read before it is verified only to fetch the right key. */
function peekEpoch(data: Uint8Array): number | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as { epoch?: unknown };
    return typeof parsed.epoch === 'number' && Number.isInteger(parsed.epoch) && parsed.epoch > 0
      ? parsed.epoch
      : undefined;
  } catch {
    return undefined;
  }
}

/** How long a renewal waits for the reconnect that puts the new credential in force. */
const RECONNECT_WAIT_MS = 10_000;

/**
 * Resolves at the connection's next reconnect, or after `ms` (the client keeps trying in the background;
 * what follows is buffered and sent once it is back).
 */
async function reconnectedWithin(nc: NatsConnection, ms: number): Promise<void> {
  const statuses = nc.status()[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  const reconnect = (async () => {
    for (;;) {
      const next = await statuses.next();
      if (next.done || next.value.type === 'reconnect') return;
    }
  })();
  try {
    await Promise.race([reconnect, timeout]);
  } finally {
    clearTimeout(timer);
    void statuses.return?.();
  }
}
