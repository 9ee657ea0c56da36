// The bus module: the allowlist, rooms, sealed keys and signed requests (control plane), and the data plane
// on the managed nats-server (member users limited to their rooms, one stream per persisted room).

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  coreSettings,
  type HttpApp,
  isLoopbackAddress,
  type Module,
  moduleKey,
  natsMemberListenerSettings,
  type StoreDriver,
} from '@homeport/core';
import { Histogram } from 'prom-client';
import { type Gateway, type GatewayLimits, newGatewaySecret, openGateway } from '../gateway/gateway.js';
import { registerGatewayRoutes } from '../gateway/routes.js';
import { busSettings } from '../settings.js';
import { busMigrations, createKvBusStore, createSqliteBusStore } from '../store/index.js';
import type { BusStore } from '../store/repositories.js';
import { type BlobService, openBlobService } from './blobs.js';
import { assertBusExposure } from './boot-guard.js';
import { type DataPlane, openDataPlane } from './data-plane.js';
import { createRequestAuth, type RequestAuth } from './request-auth.js';
import { type BusStatusView, registerBusRoutes } from './routes/bus-routes.js';
import { type BusService, createBusService } from './service.js';

export interface BusApi {
  service: BusService;
  store: BusStore;
  /** Attachments (the object store), when NATS runs. */
  blobs: BlobService | undefined;
  /** Undefined when NATS is external without the BUS account's keys. */
  dataPlane: DataPlane | undefined;
  /** The browser gateway (`/gateway`), when the data plane runs. */
  gateway: Gateway | undefined;
}

export interface BusModuleOptions {
  /** Gateway stream caps and timers (a benchmark raises the caps; tests shorten the timers). */
  gateway?: Partial<GatewayLimits>;
}

export const BUS = moduleKey<BusApi>('bus');

async function storeOf(driver: StoreDriver): Promise<BusStore> {
  return driver.kind === 'sqlite' ? createSqliteBusStore(driver.db) : createKvBusStore(driver.kv);
}

/** The bus: end-to-end encrypted rooms over NATS. Needs NATS (the managed nats-server or HOMEPORT_NATS_URL). */
export function createBusModule(options: BusModuleOptions = {}): Module<BusApi> {
  let service: BusService | undefined;
  let gateway: Gateway | undefined;
  let store: BusStore | undefined;
  let dataPlane: DataPlane | undefined;
  let blobs: BlobService | undefined;
  let requestAuth: RequestAuth | undefined;
  let status: BusStatusView = {
    auth: 'enforce',
    controlTls: false,
    busTls: false,
    dataPlane: false,
    store: 'sqlite',
    replicas: 1,
  };
  const stops: (() => void)[] = [];

  const ready = () => {
    if (!service || !store || !requestAuth) throw new Error('the bus module is not initialised yet');
    return { service, store, requestAuth };
  };

  return {
    name: 'bus',
    description: 'end-to-end encrypted rooms over NATS: allowlist, rooms, sealed keys, member credentials',
    settings: [busSettings],
    requires: ['nats'],
    migrations: busMigrations,

    async init(ctx) {
      const settings = ctx.config.read(busSettings);
      const core = ctx.config.read(coreSettings);
      const listener = ctx.config.read(natsMemberListenerSettings);
      const busListenHost = listener.busListen?.slice(0, listener.busListen.lastIndexOf(':'));
      const exposure = {
        auth: settings.auth,
        controlBind: core.bind,
        controlTls: core.tlsCert !== undefined || core.insecurePublic,
        controlCert: core.tlsCert !== undefined,
        busListenHost,
        // The managed server's member listener always requires TLS: the operator's certificate or the bus CA.
        busTls: listener.busListen !== undefined,
      };
      assertBusExposure(exposure);
      store = await storeOf(ctx.store);
      if (ctx.nats)
        blobs = await openBlobService(ctx.nats.js, store, ctx.store.kind === 'kv' ? core.kvReplicas : 1, {
          maxBytesPerRoom: settings.maxRoomBlobBytes,
          maxBlobsPerRoom: settings.maxRoomBlobs,
        });
      const accounts = ctx.nats?.accounts;
      if (accounts) {
        const plane = await openDataPlane({ accounts, log: ctx.log });
        dataPlane = plane;
        // Also when the module never started (a CLI composition closes without starting modules).
        ctx.lifecycle.onShutdown('bus data plane', () => plane.close());
      } else
        ctx.log.warn(
          'bus: NATS is external (HOMEPORT_NATS_URL) and Homeport holds no BUS account keys; the control plane runs, member credentials are unavailable',
        );
      const revocationSeconds = new Histogram({
        name: 'homeport_bus_revocation_seconds',
        help: "From revoking a bus member's data-plane users until nats-server confirmed the revocation list (their connections close then)",
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
        registers: [ctx.metrics.registry],
      });
      requestAuth = createRequestAuth({
        mode: settings.auth,
        store,
        users: ctx.users,
        log: ctx.log,
        registry: ctx.metrics.registry,
        clock: ctx.clock,
      });
      service = createBusService({
        store,
        dataPlane,
        blobs,
        log: ctx.log,
        limits: {
          maxRoomsPerIdentity: settings.maxRoomsPerIdentity,
          maxMembersPerRoom: settings.maxMembersPerRoom,
          credentialTtlMs: settings.credentialTtl,
        },
        publicExposure:
          !isLoopbackAddress(core.bind) ||
          (busListenHost !== undefined && !isLoopbackAddress(busListenHost.replace(/^\[|\]$/g, ''))),
        observeRevocation: (seconds) => revocationSeconds.observe(seconds),
        reservationSecret: await ctx.secrets.get('bus-room-reservation', () =>
          randomBytes(32).toString('base64url'),
        ),
        clock: ctx.clock,
      });
      status = {
        auth: settings.auth,
        controlTls: exposure.controlTls,
        busTls: accounts?.member.tls ?? false,
        ...(accounts?.member.listen === undefined ? {} : { busListen: accounts.member.listen }),
        dataPlane: dataPlane !== undefined,
        store: ctx.store.kind,
        replicas: ctx.store.kind === 'kv' ? core.kvReplicas : 1,
      };
      const current = service;
      stops.push(ctx.users.onAccessNarrowed((change) => current.accessNarrowed(change)));
      if (accounts && ctx.nats) {
        const opened = await openGateway({
          service,
          store,
          natsUrl: accounts.url,
          natsTls: accounts.tls,
          natsCreds: await readFile(accounts.serviceCreds('BUS')),
          kvm: ctx.nats.kvm,
          kvReplicas: ctx.store.kind === 'kv' ? core.kvReplicas : 1,
          identitySecret: await ctx.secrets.get('bus-gateway-identities', newGatewaySecret),
          users: ctx.users,
          auth: ctx.auth,
          events: ctx.events,
          // core's internal topic: some account's credentials ended (composeModules names it after accounts).
          credentialsTopic: 'accounts.credentials',
          registry: ctx.metrics.registry,
          metrics: ctx.metrics,
          log: ctx.log,
          clock: ctx.clock,
          blobs,
          ...(options.gateway === undefined ? {} : { limits: options.gateway }),
        });
        gateway = opened;
        ctx.lifecycle.onShutdown('bus gateway', () => opened.close());
      }
    },

    prefix: '/api/v1/bus',

    routes(app, ctx) {
      const parts = ready();
      registerBusRoutes(app, { ...parts, auth: ctx.auth, users: ctx.users, status: () => status });
      const opened = gateway;
      if (opened)
        app.register(
          async (scope: HttpApp) => registerGatewayRoutes(scope, { gateway: opened, auth: ctx.auth }),
          {
            prefix: '/gateway',
          },
        );
    },

    health() {
      return { bus: { auth: status.auth, dataPlane: status.dataPlane } };
    },

    async start(ctx) {
      const parts = ready();
      // The server may have restarted without the latest revocations: put the stored list back in force.
      await parts.service.syncRevocations();
      stops.push(
        ctx.singleton.every('bus.sweep', 60_000, async () => {
          const now = ctx.clock();
          await parts.store.nonces.sweep(now);
          await parts.store.natsCredentials.sweep(now);
        }),
        ctx.singleton.every('bus.blobs', 10 * 60_000, async () => {
          const removed = (await blobs?.sweep()) ?? 0;
          if (removed > 0) ctx.log.info({ removed }, 'bus: blobs no room references were deleted');
        }),
      );
    },

    describe() {
      return [
        `bus:      signed requests ${status.auth}, ${dataPlane ? `members on ${dataPlane.url}` : 'data plane off (external NATS without the BUS account keys)'}`,
      ];
    },

    async stop() {
      for (const stop of stops.splice(0)) stop();
      await gateway?.close();
      await dataPlane?.close();
    },

    api() {
      const parts = ready();
      return { service: parts.service, store: parts.store, dataPlane, blobs, gateway };
    },
  };
}
