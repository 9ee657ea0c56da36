// A Homeport with accounts and the bus on the managed nats-server, listening on a free loopback port, with
// helpers to seed identities on the allowlist (as `homeport bus user add` does on the host) and to sign calls.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { BusClient, type BusClientEvent } from '../../src/client/index.js';
import { generateIdentity, type Identity, signPubHex, signRequest, toHex } from '../../src/crypto/index.js';
import { BUS, type BusApi, createBusModule } from '../../src/index.js';

export interface BusHomeport {
  t: TestHomeport;
  url: string;
  bus: BusApi;
  /** A new identity on the allowlist. */
  seed(role: 'admin' | 'member', handle: string): Promise<Identity>;
  /** A signed request as `identity` (fetch over HTTP: the signature covers the path as sent). */
  call(
    identity: Identity | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response fields they assert on one by one
  ): Promise<{ status: number; json: any }>;
  client(identity: Identity, events?: BusClientEvent[]): BusClient;
  /** Homeport's own BUS service user: sees every subject of the account, as a compromised server would. */
  serviceConnection(): Promise<NatsConnection>;
  close(): Promise<void>;
}

export interface BusHomeportOptions {
  /** JetStream KV on this (external) NATS server instead of SQLite and the managed server. */
  kvNatsUrl?: string;
}

export async function startBusHomeport(
  env: Record<string, string> = {},
  dataDir?: string,
  options: BusHomeportOptions = {},
): Promise<BusHomeport> {
  const t = await buildTestHomeport({
    modules: [createBusModule()],
    env: { HOMEPORT_PORT: '0', ...env },
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(options.kvNatsUrl === undefined ? {} : { store: 'kv' as const, natsUrl: options.kvNatsUrl }),
  });
  const url = await t.homeport.listen();
  const bus = t.homeport.requireModule(BUS);
  const clients: BusClient[] = [];
  const service: NatsConnection[] = [];
  return {
    t,
    url,
    bus,
    async seed(role, handle) {
      const identity = generateIdentity();
      await bus.service.addUser({
        signPub: signPubHex(identity),
        kexPub: toHex(identity.kexPub),
        handle,
        role,
        userId: null,
      });
      return identity;
    },
    async call(identity, method, path, body, headers = {}) {
      const full = `/api/v1/bus${path}`;
      const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const signed = identity
        ? signRequest(identity, { method, path: full, body: bytes ?? new Uint8Array(0) })
        : {};
      const response = await fetch(`${url}${full}`, {
        method,
        headers: {
          ...signed,
          ...(bytes ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(bytes ? { body: bytes } : {}),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    },
    client(identity, events) {
      const client = BusClient.create({
        controlUrls: [url],
        identity,
        ...(events ? { onEvent: (event: BusClientEvent) => events.push(event) } : {}),
      });
      clients.push(client);
      return client;
    },
    async serviceConnection() {
      const plane = bus.dataPlane;
      if (!plane) throw new Error('no data plane');
      const creds = readFileSync(join(t.dataDir, 'nats', 'users', 'BUS.creds'));
      const nc = await connect({ servers: plane.url, authenticator: credsAuthenticator(creds) });
      service.push(nc);
      return nc;
    },
    async close() {
      for (const nc of service) await nc.close().catch(() => undefined);
      for (const client of clients) await client.close().catch(() => undefined);
      await t.close();
    },
  };
}
