// Homeport's NATS client connection: reconnects forever with jittered backoff, bounded handshakes and
// requests, its state in the logs and in /metrics.

import { readFileSync } from 'node:fs';
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { NatsError } from './errors.js';
import type { NatsTlsTrust } from './member-tls.js';
import { type NatsMetrics, natsMetrics } from './metrics.js';

/** Bound of every JetStream API call (KV get/put included) and of a connection handshake. */
export const NATS_REQUEST_TIMEOUT_MS = 5000;

export interface ConnectNatsOptions {
  servers: readonly string[];
  /** A creds file (user JWT + seed); read again at each reconnect, so a rotated file is picked up. */
  credsFile?: string;
  /**
   * Require TLS; `caFile` (an external server's CA) or `ca` and `checkServerIdentity` (the managed server's
   * member listener, see member-tls.ts) verify the server's certificate.
   */
  tls?: { caFile?: string } | NatsTlsTrust;
  log: Logger;
  /** Where `homeport_nats_connected` goes. */
  metrics?: Metrics;
  connectTimeoutMs?: number;
  /** Shown in the server's connection list. */
  name?: string;
}

/** Reconnect delay: doubles from 250 ms to 5 s per failed attempt, with jitter so replicas do not stampede. */
function reconnectDelays(): { next(): number; reset(): void } {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(5000, 250 * 2 ** attempt);
      attempt += 1;
      return ceiling / 2 + Math.random() * (ceiling / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}

/**
 * Connects with reconnects forever: the first connection is retried until `connectTimeoutMs`, and a lost one
 * is re-established for as long as the process runs.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const delays = reconnectDelays();
  const { credsFile } = options;
  const connectionOptions: NodeConnectionOptions = {
    servers: [...options.servers],
    name: options.name ?? `homeport-${process.pid}`,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => delays.next(),
    // A server restarting with its accounts not yet loaded may refuse a user once; giving up then would leave
    // Homeport without NATS until it is restarted.
    ignoreAuthErrorAbort: true,
    timeout: NATS_REQUEST_TIMEOUT_MS,
    pingInterval: 10_000,
    maxPingOut: 3,
    ...(credsFile === undefined ? {} : { authenticator: credsAuthenticator(() => readFileSync(credsFile)) }),
    ...(options.tls === undefined ? {} : { tls: { ...options.tls } }),
  };
  const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
  let nc: NatsConnection | undefined;
  for (let attempt = 0; nc === undefined; attempt += 1) {
    try {
      nc = await connect(connectionOptions);
    } catch (error) {
      // Refused credentials will not fix themselves by waiting.
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof AuthorizationError || Date.now() > deadline)
        throw new NatsError(
          'nats_unavailable',
          `cannot connect to NATS at ${options.servers.join(',')}: ${message}`,
          {
            cause: error,
          },
        );
      options.log.warn({ err: error, attempt }, 'NATS not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, delays.next()));
    }
  }
  delays.reset();
  const gauges = options.metrics ? natsMetrics(options.metrics) : undefined;
  gauges?.connected.set(1);
  void watchStatus(nc, options.log, gauges, delays);
  return nc;
}

async function watchStatus(
  nc: NatsConnection,
  log: Logger,
  metrics: NatsMetrics | undefined,
  delays: { reset(): void },
): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case 'disconnect':
        metrics?.connected.set(0);
        log.warn({ server: status.server }, 'NATS disconnected; reconnecting');
        break;
      case 'reconnect':
        delays.reset();
        metrics?.connected.set(1);
        log.info({ server: status.server }, 'NATS reconnected');
        break;
      case 'error':
        log.warn({ err: status.error }, 'NATS error');
        break;
      case 'ldm':
        log.info({ server: status.server }, 'NATS server entering lame duck mode');
        break;
      default:
        break;
    }
  }
  metrics?.connected.set(0);
}
