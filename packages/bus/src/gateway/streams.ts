// The room streams (Server-Sent Events) the gateway serves on this replica: capped per account and in all,
// each fed by its room's shared hub, resumed after Last-Event-ID without gaps or duplicates (attached to the
// hub first, history replayed, then what arrived meanwhile minus what the replay sent), and ended when what
// let it in ends: the session (re-checked when credentials end anywhere and on a timer), the account's
// identity, or its membership (the server's "removed" notice, or the timer's check).

import type { AuthGuards, Logger, Principal, SseRegistry, SseStream } from '@homeport/core';
import type { FastifyReply } from 'fastify';
import { memberToken } from '../control/data-plane.js';
import type { BusStore } from '../store/repositories.js';
import { GatewayError } from './errors.js';
import type { GatewayIdentity } from './identities.js';
import { forViewer, type OpenedMessage } from './message.js';
import type { GatewayMetrics } from './metrics.js';
import type { HubSubscriber, RoomHub, RoomHubs } from './room-hub.js';

/** Live messages held for a stream while its history replays; past this it is cut (it reconnects). */
const MAX_PENDING = 5000;

export interface StreamLimits {
  /** Open streams per account on this replica. */
  maxPerAccount: number;
  /** Open streams on this replica. */
  maxTotal: number;
}

export interface GatewayStreamsOptions extends StreamLimits {
  hubs: RoomHubs;
  sse: SseRegistry;
  auth: AuthGuards;
  store: BusStore;
  metrics: GatewayMetrics;
  log: Logger;
  /** How often every stream's session, identity and membership are checked again (ms). */
  recheckMs: number;
  /** Messages after `afterId` the viewer may read (the persisted stream, or the hub's ring), oldest first. */
  replay(viewer: GatewayIdentity, hub: RoomHub, afterId: string): Promise<OpenedMessage[]>;
}

export interface OpenStreamInput {
  reply: FastifyReply;
  principal: Extract<Principal, { kind: 'user' }>;
  viewer: GatewayIdentity;
  roomId: string;
  lastEventId: string | undefined;
}

export interface GatewayStreams {
  /** Refuses with `gateway_too_many_streams` when a cap is reached (before the response is taken over). */
  admit(userId: string): void;
  open(input: OpenStreamInput): Promise<void>;
  /** The member with this NATS token was removed from the room: its streams get `removed` and close. */
  removed(token: string, roomId: string): void;
  /** Re-checks one account's streams now (its credentials ended somewhere). */
  recheckUser(userId: string): Promise<void>;
  recheckAll(): Promise<void>;
  readonly size: number;
  close(): void;
}

interface OpenStream extends HubSubscriber {
  sse: SseStream;
  principal: Extract<Principal, { kind: 'user' }>;
  roomId: string;
  token: string;
}

export function createGatewayStreams(options: GatewayStreamsOptions): GatewayStreams {
  const { hubs, sse, auth, store, metrics, log } = options;
  const byUser = new Map<string, Set<OpenStream>>();
  const byToken = new Map<string, Set<OpenStream>>();
  let size = 0;

  const add = <K>(map: Map<K, Set<OpenStream>>, key: K, stream: OpenStream) => {
    const set = map.get(key) ?? new Set();
    set.add(stream);
    map.set(key, set);
  };
  const drop = <K>(map: Map<K, Set<OpenStream>>, key: K, stream: OpenStream) => {
    const set = map.get(key);
    if (!set) return;
    set.delete(stream);
    if (set.size === 0) map.delete(key);
  };

  const endRemoved = (stream: OpenStream) => {
    stream.sse.send({ event: 'state', data: { state: 'removed' } });
    stream.sse.close();
  };

  const recheck = async (stream: OpenStream) => {
    if (stream.sse.closed) return;
    try {
      const principal = await auth.recheck(stream.principal);
      if (principal?.kind !== 'user') return stream.sse.close();
      stream.principal = principal;
      const user = await store.users.get(stream.viewer.signPub);
      if (user?.status !== 'active') return stream.sse.close();
      const member = await store.rooms.getMember(stream.roomId, stream.viewer.signPub);
      if (!member) return endRemoved(stream);
    } catch (error) {
      // Fail closed: a stream whose grant cannot be confirmed ends; the client reconnects and is asked again.
      log.warn({ err: error, roomId: stream.roomId }, 'bus gateway: stream re-check failed; closed');
      stream.sse.close();
    }
  };

  const timer = setInterval(() => void streams.recheckAll(), options.recheckMs);
  timer.unref();

  const streams: GatewayStreams = {
    get size() {
      return size;
    },

    admit(userId) {
      if (size >= options.maxTotal)
        throw new GatewayError('gateway_too_many_streams', 'This server serves no more room streams now', {
          retryAfterSeconds: 10,
        });
      if ((byUser.get(userId)?.size ?? 0) >= options.maxPerAccount)
        throw new GatewayError(
          'gateway_too_many_streams',
          `An account may have at most ${options.maxPerAccount} room streams open; close a tab`,
          { retryAfterSeconds: 10 },
        );
    },

    async open({ reply, principal, viewer, roomId, lastEventId }) {
      const channel = sse.open(reply);
      let buffering = true;
      let pending: OpenedMessage[] = [];
      let sent: Set<string> | undefined;
      let state: 'ok' | 'waiting_for_key' | undefined;

      const write = (message: OpenedMessage) => {
        channel.send({ id: message.id, event: 'message', data: forViewer(message, viewer.endpointId) });
      };
      const stream: OpenStream = {
        sse: channel,
        principal,
        viewer,
        roomId,
        token: memberToken(viewer.signPub),
        epochs: new Set(),
        deliver(message) {
          if (!buffering) return write(message);
          pending.push(message);
          if (pending.length > MAX_PENDING) channel.close();
        },
        keyState(next) {
          if (next === state) return;
          if (next === 'waiting_for_key') metrics.waitingForKey.inc();
          else if (state === 'waiting_for_key') metrics.waitingForKey.dec();
          state = next;
          channel.send({ event: 'state', data: { state: next } });
        },
      };

      size += 1;
      metrics.streams.inc();
      add(byUser, principal.userId, stream);
      add(byToken, stream.token, stream);
      channel.onClose(() => {
        size -= 1;
        metrics.streams.dec();
        if (state === 'waiting_for_key') metrics.waitingForKey.dec();
        state = undefined;
        drop(byUser, principal.userId, stream);
        drop(byToken, stream.token, stream);
        hubs.detach(roomId, stream);
      });

      try {
        const hub = await hubs.attach(roomId, stream);
        if (channel.closed) return hubs.detach(roomId, stream);
        if (lastEventId !== undefined) {
          const missed = await options.replay(viewer, hub, lastEventId);
          sent = new Set(missed.map((message) => message.id));
          for (const message of missed) write(message);
        }
        buffering = false;
        const held = pending;
        pending = [];
        for (const message of held) if (!sent?.has(message.id)) write(message);
        sent = undefined;
      } catch (error) {
        // The response is a stream already: closing it makes the client reconnect with the same Last-Event-ID.
        log.warn({ err: error, roomId }, 'bus gateway: stream could not start; closed');
        channel.close();
      }
    },

    removed(token, roomId) {
      for (const stream of [...(byToken.get(token) ?? [])]) if (stream.roomId === roomId) endRemoved(stream);
    },

    async recheckUser(userId) {
      await Promise.all([...(byUser.get(userId) ?? [])].map(recheck));
    },

    async recheckAll() {
      await Promise.all([...byUser.values()].flatMap((set) => [...set]).map(recheck));
    },

    close() {
      clearInterval(timer);
      for (const set of [...byUser.values()]) for (const stream of [...set]) stream.sse.close();
    },
  };
  return streams;
}
