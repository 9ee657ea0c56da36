// One bus subscription per room on this replica, shared by every open stream of that room: each frame is
// checked and opened once, then handed to the streams whose account holds that epoch's key, in arrival order.
// An ephemeral room also keeps the last frames it saw in a bounded ring (its only history). A hub closes when
// its last stream has been gone for `lingerMs`.

import type { Logger } from '@homeport/core';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { roomSubject } from '../control/data-plane.js';
import { createReplayGuard, ulidTime } from '../crypto/index.js';
import type { BusStore, RoomRecord } from '../store/repositories.js';
import type { Handles } from './handles.js';
import type { GatewayIdentity } from './identities.js';
import type { OpenedMessage } from './message.js';
import type { GatewayMetrics } from './metrics.js';
import type { RoomKeys } from './room-keys.js';
import { openRoomReader, type RoomReader } from './room-reader.js';

/** Frames waiting to be opened before new ones are dropped (the hub fell that far behind). */
const MAX_QUEUED = 10_000;

/** What a hub hands frames to: one open stream. */
export interface HubSubscriber {
  readonly viewer: GatewayIdentity;
  /** Epochs whose key is sealed to the viewer (refreshed by the hub). */
  epochs: Set<number>;
  /** A message of an epoch the viewer holds, in the room's arrival order. */
  deliver(message: OpenedMessage): void;
  /** Whether the viewer holds the key of the room's current epoch. */
  keyState(state: 'ok' | 'waiting_for_key'): void;
}

export interface RoomHub {
  readonly roomId: string;
  readonly room: RoomRecord;
  readonly reader: RoomReader;
  /** What an ephemeral room's subscription saw, oldest first (empty for a persisted room). */
  ring(): readonly OpenedMessage[];
  /** Reads the room again (an epoch or members changed) and tells each stream whether it has the key. */
  roomChanged(): Promise<void>;
}

export interface RoomHubs {
  /** Adds a stream to its room's hub (made, and its subscription confirmed by the server, on first use). */
  attach(roomId: string, subscriber: HubSubscriber): Promise<RoomHub>;
  detach(roomId: string, subscriber: HubSubscriber): void;
  /** The hub of a room if this replica has one. */
  find(roomId: string): RoomHub | undefined;
  /** Subscriptions held now (one per room with a hub). */
  readonly subscriptions: number;
  close(): void;
}

/**
 * What an ephemeral room's ring holds after message `id`, in arrival order: after its place when the ring has
 * it, else what arrived after the id's time. Never by comparing ids — senders choose them (a member's
 * `7ZZZ…` id would sort after everything).
 */
export function ringAfter(ring: readonly OpenedMessage[], id: string): OpenedMessage[] {
  const at = ring.findIndex((message) => message.id === id);
  if (at >= 0) return ring.slice(at + 1);
  const time = ulidTime(id);
  return ring.filter((message) => message.ts > time);
}

/** What the ring holds before message `id` (see {@link ringAfter}). */
export function ringBefore(ring: readonly OpenedMessage[], id: string): OpenedMessage[] {
  const at = ring.findIndex((message) => message.id === id);
  if (at >= 0) return ring.slice(0, at);
  const time = ulidTime(id);
  return ring.filter((message) => message.ts < time);
}

export interface RoomHubsOptions {
  nc: NatsConnection;
  store: BusStore;
  keys: RoomKeys;
  handles: Handles;
  metrics: GatewayMetrics;
  log: Logger;
  clock: () => number;
  /** How long a hub stays after its last stream left (a reconnect reuses it; an ephemeral ring survives). */
  lingerMs: number;
  /** Messages an ephemeral room's ring keeps. */
  ringSize: number;
}

interface HubState extends RoomHub {
  subscribers: Set<HubSubscriber>;
  subscription: Subscription;
  linger: NodeJS.Timeout | undefined;
}

export function createRoomHubs(options: RoomHubsOptions): RoomHubs {
  const { nc, store, keys, handles, metrics, log, clock } = options;
  const hubs = new Map<string, HubState>();
  const making = new Map<string, Promise<HubState>>();

  /** Re-reads the viewer's key epochs once per epoch it was found without. */
  const refreshEpochs = async (roomId: string, subscriber: HubSubscriber) => {
    subscriber.epochs = await keys.epochsOf(roomId, subscriber.viewer.signPub);
  };

  /** Whether the viewer can read the room's current epoch: a key sealed to it that opens. */
  const tellKeyState = async (hub: RoomHub, subscriber: HubSubscriber) => {
    const { room } = hub;
    const has =
      !room.policy.encrypted ||
      (subscriber.epochs.has(room.epoch) &&
        (await keys.open(subscriber.viewer, room.id, room.epoch)) !== undefined);
    subscriber.keyState(has ? 'ok' : 'waiting_for_key');
  };

  async function make(roomId: string): Promise<HubState> {
    const reader = await openRoomReader({ store, handles, clock }, roomId);
    if (!reader) throw new Error(`room ${roomId} is gone`);
    const replay = createReplayGuard();
    const ring: OpenedMessage[] = [];
    const subscribers = new Set<HubSubscriber>();
    let queued = 0;
    let chain: Promise<void> = Promise.resolve();

    // What was asked of the store already, so frames cannot turn into store reads per viewer: the epochs for
    // which every viewer's key epochs were read again, each viewer's epochs read again after a frame it could
    // not read, and the viewers whose sealed key of an epoch did not open.
    const refreshedAll = new Set<number>();
    const asked = new WeakMap<HubSubscriber, Set<number>>();
    const unopenable = new Map<number, Set<string>>();

    const fromHolders = async (epoch: number): Promise<Uint8Array | undefined> => {
      for (const subscriber of subscribers) {
        const signPub = subscriber.viewer.signPub;
        if (!subscriber.epochs.has(epoch) || unopenable.get(epoch)?.has(signPub)) continue;
        const key = await keys.open(subscriber.viewer, roomId, epoch);
        if (key) return key;
        unopenable.set(epoch, (unopenable.get(epoch) ?? new Set()).add(signPub));
      }
      return undefined;
    };

    /** The epoch's key from the cache, or opened with a viewer's identity that holds it. */
    const keyOf = async (epoch: number): Promise<Uint8Array | undefined> => {
      const cached = keys.cached(roomId, epoch);
      if (cached) return cached;
      // An epoch the room has not reached is forged or early (the reader reads the room again, rate-limited).
      if (epoch > reader.room.epoch) return undefined;
      const key = await fromHolders(epoch);
      if (key || refreshedAll.has(epoch)) return key;
      // Nobody here was known to hold it: the epoch may be new to every viewer. Ask the store, once.
      refreshedAll.add(epoch);
      await Promise.all([...subscribers].map((each) => refreshEpochs(roomId, each)));
      return fromHolders(epoch);
    };

    const handle = async (data: Uint8Array, arrivedAt: number) => {
      const result = await reader.open(data, replay, keyOf, arrivedAt);
      if (!result.ok) {
        metrics.decryptFailures.inc({ reason: result.reason });
        return;
      }
      const message = result.message;
      if (!reader.room.policy.persisted) {
        ring.push(message);
        if (ring.length > options.ringSize) ring.shift();
      }
      const encrypted = reader.room.policy.encrypted;
      if (encrypted) {
        const lacking = [...subscribers].filter((subscriber) => {
          if (subscriber.epochs.has(message.epoch)) return false;
          const done = asked.get(subscriber) ?? new Set<number>();
          asked.set(subscriber, done);
          if (done.has(message.epoch)) return false;
          done.add(message.epoch);
          return true;
        });
        if (lacking.length > 0) await Promise.all(lacking.map((each) => refreshEpochs(roomId, each)));
      }
      for (const subscriber of subscribers) {
        // An epoch sealed to someone else only (history before this member joined): not theirs to read.
        if (encrypted && !subscriber.epochs.has(message.epoch)) continue;
        subscriber.deliver(message);
      }
    };

    const subscription = nc.subscribe(`${roomSubject(roomId)}.msg`, {
      callback: (error, msg) => {
        if (error) {
          log.warn({ err: error, roomId }, 'bus gateway: room subscription failed');
          return;
        }
        if (queued >= MAX_QUEUED) {
          metrics.decryptFailures.inc({ reason: 'overloaded' });
          return;
        }
        queued += 1;
        const data = msg.data;
        // Arrival, not when the queue reaches it: a hub behind must not take frames for older than they are.
        const arrivedAt = clock();
        chain = chain
          .then(() => handle(data, arrivedAt))
          .catch((failure: unknown) => log.warn({ err: failure, roomId }, 'bus gateway: a frame failed'))
          .finally(() => {
            queued -= 1;
          });
      },
    });
    // The server has the interest once flushed: a history read started after this misses nothing live.
    await nc.flush();
    metrics.roomSubscriptions.inc();

    const hub: HubState = {
      roomId,
      reader,
      subscribers,
      subscription,
      linger: undefined,
      get room() {
        return reader.room;
      },
      ring: () => ring,
      async roomChanged() {
        if (!(await reader.refresh())) return;
        // Keys may have been sealed anew: ask again.
        refreshedAll.clear();
        unopenable.clear();
        await Promise.all(
          [...subscribers].map(async (each) => {
            await refreshEpochs(roomId, each);
            await tellKeyState(hub, each);
          }),
        );
      },
    };
    return hub;
  }

  const closeHub = (hub: HubState) => {
    clearTimeout(hub.linger);
    if (hubs.get(hub.roomId) !== hub) return;
    hubs.delete(hub.roomId);
    hub.subscription.unsubscribe();
    metrics.roomSubscriptions.dec();
  };

  return {
    async attach(roomId, subscriber) {
      let hub = hubs.get(roomId);
      if (!hub) {
        let pending = making.get(roomId);
        if (!pending) {
          pending = make(roomId)
            .then((made) => {
              hubs.set(roomId, made);
              return made;
            })
            .finally(() => making.delete(roomId));
          making.set(roomId, pending);
        }
        hub = await pending;
      }
      clearTimeout(hub.linger);
      hub.linger = undefined;
      await refreshEpochs(roomId, subscriber);
      hub.subscribers.add(subscriber);
      await tellKeyState(hub, subscriber);
      return hub;
    },
    detach(roomId, subscriber) {
      const hub = hubs.get(roomId);
      if (!hub?.subscribers.delete(subscriber) || hub.subscribers.size > 0) return;
      if (options.lingerMs <= 0) return closeHub(hub);
      hub.linger = setTimeout(() => {
        if (hub.subscribers.size === 0) closeHub(hub);
      }, options.lingerMs);
      hub.linger.unref();
    },
    find: (roomId) => hubs.get(roomId),
    get subscriptions() {
      return hubs.size;
    },
    close() {
      for (const hub of [...hubs.values()]) closeHub(hub);
    },
  };
}
