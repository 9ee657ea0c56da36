// The browser gateway (`/api/v1/bus/gateway`): a trusted-server mode in which Homeport holds one bus identity
// per account and acts as that account's member — it seals, signs, opens and verifies frames itself, on the
// bus account's service connection — so a browser needs no key of its own. See docs/bus.md ("Gateway").

import { randomBytes } from 'node:crypto';
import type { AuthGuards, EventBus, Logger, Metrics, NatsTlsTrust, UserDirectory } from '@homeport/core';
import { createSseRegistry } from '@homeport/core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Kvm } from '@nats-io/kv';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { BlobService } from '../control/blobs.js';
import type { BusService } from '../control/service.js';
import type { BusStore } from '../store/repositories.js';
import { createGatewayAttachments, type GatewayAttachments } from './attachments.js';
import type { GatewayContext } from './context.js';
import { createHandles } from './handles.js';
import { createRoomHistory } from './history.js';
import { createGatewayIdentities } from './identities.js';
import { createIdentitySealer } from './identity-seal.js';
import { createGatewayMessages, type GatewayMessages } from './messages.js';
import { createGatewayMetrics } from './metrics.js';
import { openReadMarkers } from './read-markers.js';
import { createRoomHubs } from './room-hub.js';
import { createRoomKeys } from './room-keys.js';
import { createGatewayRooms, type GatewayRooms } from './rooms.js';
import { createGatewayStreams, type GatewayStreams } from './streams.js';

export interface GatewayLimits {
  /** Open room streams per account on one replica (default 32). */
  maxStreamsPerAccount: number;
  /** Open room streams on one replica (default 4096). */
  maxStreams: number;
  /** How often each stream's session, identity and membership are checked again (default 30 s). */
  recheckMs: number;
  /** How long a room's subscription outlives its last stream (default 60 s). */
  lingerMs: number;
  /** Messages an ephemeral room keeps for scrollback while the gateway follows it (default 500). */
  ringSize: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxStreamsPerAccount: 32,
  maxStreams: 4096,
  recheckMs: 30_000,
  lingerMs: 60_000,
  ringSize: 500,
};

export interface GatewayOptions {
  service: BusService;
  store: BusStore;
  /** The managed nats-server and the bus account's service user (creds file contents). */
  natsUrl: string;
  /** How to verify it when its client listener is the TLS member listener (HOMEPORT_BUS_LISTEN). */
  natsTls?: NatsTlsTrust | undefined;
  natsCreds: Uint8Array;
  /** JetStream KV in Homeport's own account (read markers). */
  kvm: Kvm;
  kvReplicas: number;
  /** Generated secret from the vault; the gateway identities' private keys are sealed under it. */
  identitySecret: string;
  users: UserDirectory;
  auth: AuthGuards;
  events: EventBus;
  /** Name of core's internal topic on which every replica hears that some account's credentials ended. */
  credentialsTopic: string;
  registry: Registry;
  metrics: Metrics;
  log: Logger;
  clock: () => number;
  limits?: Partial<GatewayLimits>;
  /** The blob service, to refuse an upload past its room's quota before its body is read. */
  blobs?: BlobService | undefined;
}

export interface Gateway {
  rooms: GatewayRooms;
  messages: GatewayMessages;
  attachments: GatewayAttachments;
  streams: GatewayStreams;
  /** Open streams and the room subscriptions behind them on this replica. */
  stats(): { streams: number; roomSubscriptions: number };
  close(): Promise<void>;
}

/** A vault secret for {@link GatewayOptions.identitySecret}. */
export const newGatewaySecret = () => randomBytes(32).toString('base64url');

export async function openGateway(options: GatewayOptions): Promise<Gateway> {
  const limits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
  const { store, log, clock } = options;
  const nc: NatsConnection = await connect({
    servers: options.natsUrl,
    authenticator: credsAuthenticator(options.natsCreds),
    name: 'homeport-bus-gateway',
    maxReconnectAttempts: -1,
    ...(options.natsTls === undefined ? {} : { tls: options.natsTls }),
  });
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  const metrics = createGatewayMetrics(options.registry);
  const keys = createRoomKeys(store);
  const handles = createHandles({ users: options.users, store, clock });
  const hubs = createRoomHubs({
    nc,
    store,
    keys,
    handles,
    metrics,
    log,
    clock,
    lingerMs: limits.lingerMs,
    ringSize: limits.ringSize,
  });
  const ctx: GatewayContext = {
    service: options.service,
    blobs: options.blobs,
    store,
    identities: createGatewayIdentities({
      store,
      sealer: createIdentitySealer(options.identitySecret),
      clock,
    }),
    handles,
    keys,
    history: createRoomHistory(jsm),
    markers: await openReadMarkers(options.kvm, options.kvReplicas),
    hubs,
    nc,
    js: jetstream(nc, { timeout: 5000 }),
    metrics,
    log,
    clock,
  };
  const rooms = createGatewayRooms(ctx, options.users);
  const messages = createGatewayMessages(ctx, rooms);
  const streams = createGatewayStreams({
    hubs,
    sse: createSseRegistry({ metrics: options.metrics }),
    auth: options.auth,
    store,
    metrics,
    log,
    recheckMs: limits.recheckMs,
    maxPerAccount: limits.maxStreamsPerAccount,
    maxTotal: limits.maxStreams,
    replay: (viewer, hub, afterId) => messages.replay(viewer, hub, afterId),
  });

  // A room's epoch or members changed: its hub reads it again, once however many notices arrive meanwhile
  // (a rekey of a 1,000-member room notifies each member).
  const changing = new Map<string, { again: boolean }>();
  const roomChanged = (roomId: string) => {
    const hub = hubs.find(roomId);
    if (!hub) return;
    const running = changing.get(roomId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    changing.set(roomId, state);
    void (async () => {
      do {
        state.again = false;
        await hub
          .roomChanged()
          .catch((error: unknown) => log.warn({ err: error, roomId }, 'bus gateway: room refresh failed'));
      } while (state.again);
      changing.delete(roomId);
    })();
  };

  // The control plane tells each member's control subject when its rooms change; the service user hears them
  // all, so a removal reaches the removed account's streams on every replica.
  const control = nc.subscribe('bus.ctl.*', {
    callback: (error, msg) => {
      if (error) return log.warn({ err: error }, 'bus gateway: control subscription failed');
      let event: { type?: unknown; roomId?: unknown };
      try {
        event = msg.json();
      } catch {
        return; // not a notice of ours
      }
      if (typeof event.roomId !== 'string') return;
      const token = msg.subject.slice('bus.ctl.'.length);
      if (event.type === 'removed') streams.removed(token, event.roomId);
      roomChanged(event.roomId);
    },
  });

  const stops = [
    options.events.subscribe([options.credentialsTopic], (event) => {
      const { userId } = event.data as { userId?: unknown }; // checked just below
      if (typeof userId === 'string') void streams.recheckUser(userId);
    }),
    options.users.onAccessNarrowed((change) => {
      ctx.identities.forget(change.userId);
      return streams.recheckUser(change.userId);
    }),
  ];

  return {
    rooms,
    messages,
    attachments: createGatewayAttachments(ctx),
    streams,
    stats: () => ({ streams: streams.size, roomSubscriptions: hubs.subscriptions }),
    async close() {
      for (const stop of stops) stop();
      streams.close();
      hubs.close();
      control.unsubscribe();
      if (nc.isClosed()) return;
      // Bounded, as the data plane's: at shutdown the managed server may already be gone.
      await Promise.race([
        nc.drain().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
      if (!nc.isClosed()) await nc.close();
    },
  };
}
