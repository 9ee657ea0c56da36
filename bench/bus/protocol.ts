// What the benchmark process and its worker processes (bench/bus/worker.ts) say to each other over the
// child-process IPC channel: a job to set up, then go, credit for publishers, counts and results back.

import type { LoadResult } from '../store/load.js';

/** Where a worker reaches the managed nats-server as Homeport's BUS service user (raw peers only). */
export interface RawNats {
  url: string;
  credsFile: string;
}

/** A bus member as a worker needs it: the control plane and its identity (identityToJson). */
export interface Member {
  controlUrl: string;
  identityJson: string;
}

export type Job =
  /** Counts messages on a core NATS subject. */
  | { role: 'raw-sub'; nats: RawNats; subject: string; payloadBytes: number }
  /** Publishes on a core NATS subject, at most `window` ahead of the subscriber's count. */
  | { role: 'raw-pub'; nats: RawNats; subject: string; payloadBytes: number; window: number }
  /** BusClient.subscribe on a room; counts opened messages, fails on a dropped frame. */
  | { role: 'bus-sub'; member: Member; roomId: string; payloadBytes: number }
  /** BusClient.publish on a room, at most `window` ahead of the subscriber's count. */
  | { role: 'bus-pub'; member: Member; roomId: string; payloadBytes: number; window: number }
  /** sealFrame (encrypt + sign) as BusClient.publish calls it, at most `window` ahead of the opener. */
  | {
      role: 'seal';
      identityJson: string;
      roomId: string;
      roomKey: string;
      payloadBytes: number;
      window: number;
    }
  /**
   * openFrame (verify + decrypt + replay check) over frames sealed beforehand by `identityJson`, never more
   * than the sealer has sealed: the crypto of the E2E pipeline without the transport.
   */
  | { role: 'open'; identityJson: string; roomId: string; roomKey: string; payloadBytes: number }
  /** Closed loop of BusClient.publish on a persisted room (each call waits for the stream's ack). */
  | { role: 'bus-persist'; member: Member; roomId: string; payloadBytes: number; inFlight: number }
  /** Closed loop of raw JetStream publishes (each waits for its ack). */
  | { role: 'raw-js'; nats: RawNats; subject: string; payloadBytes: number; inFlight: number }
  /**
   * Gateway room streams (SSE): `streamsPerToken` for each session token, `perAddress` per loopback source
   * address; each message whose body starts `m <sent at>` gives a delivery latency.
   */
  | {
      role: 'sse-clients';
      streamUrl: string;
      tokens: string[];
      streamsPerToken: number;
      perAddress: number;
      payloadBytes: number;
    };

/** What the SSE clients saw of the measured messages. */
export interface FanoutSummary {
  streams: number;
  /** Measured messages × streams. */
  expected: number;
  delivered: number;
  /** Delivery latency (ms), from just before the send to the event parsed by a client. */
  p50: number;
  p99: number;
  max: number;
  /** Streams the server ended during the run. */
  ended: number;
}

export type Role = Job['role'];

export type ToWorker =
  | { type: 'job'; job: Job; warmupSec: number; durationSec: number }
  | { type: 'go' }
  /** The other side's count: what a publisher's subscriber received, what an opener's sealer sealed. */
  | { type: 'credit'; received: number }
  /** SSE clients: summarise the deliveries of the `expected` measured messages. */
  | { type: 'report'; expected: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; describe: string }
  /** Messages (or frames) done so far; sent every COUNT_EVERY. */
  | { type: 'count'; n: number }
  /** A closed-loop job's measured run, after its own warm-up. */
  | { type: 'result'; load: LoadResult }
  | { type: 'fanout'; summary: FanoutSummary }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

/** A streaming worker reports its count this often (messages); small against any window below. */
export const COUNT_EVERY = 128;
