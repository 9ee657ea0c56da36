// A worker process of bench/bus: runs one job (a publisher, a subscriber, a crypto loop or a closed-loop
// publisher) so each side of a pair has a process and a core of its own, as two bus members would.
// Started by worker-process.ts with an IPC channel; exits when told to stop or when the parent goes away.

import { readFileSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { BusClient } from '@homeport/bus/client';
import {
  createReplayGuard,
  fromBase64Url,
  identityFromJson,
  openFrame,
  sealFrame,
} from '@homeport/bus/crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { runLoad } from '../store/load.js';
import { sseClients } from './fanout-clients.js';
import {
  COUNT_EVERY,
  type FanoutSummary,
  type FromWorker,
  type Job,
  type Member,
  type RawNats,
  type ToWorker,
} from './protocol.js';

/** What a job does once set up. */
export interface Running {
  describe: string;
  go(): Promise<void>;
  credit?(received: number): void;
  report?(expected: number): FanoutSummary;
  close(): Promise<void>;
}

interface Timing {
  warmupSec: number;
  durationSec: number;
}

/** Frames the `open` job seals before it starts, then opens over and over (a new replay guard each pass). */
const PRESEALED_FRAMES = 16_384;
/** Frames the opener opens before it lets IPC messages in. */
const CRYPTO_BATCH = 64;

const send = (message: FromWorker) => {
  // After the parent stopped listening (a stop in progress) a report has nowhere to go: drop it.
  if (process.connected) process.send?.(message, undefined, undefined, () => {});
};
let stopping = false;
let counted = 0;

function count(n = 1) {
  const before = counted;
  counted += n;
  if (Math.floor(counted / COUNT_EVERY) !== Math.floor(before / COUNT_EVERY))
    send({ type: 'count', n: counted });
}

function payloadOf(bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 31 + 7) & 0xff);
}

async function rawConnection(nats: RawNats, name: string): Promise<NatsConnection> {
  return connect({
    servers: nats.url,
    authenticator: credsAuthenticator(readFileSync(nats.credsFile)),
    name,
  });
}

function busClient(member: Member): BusClient {
  return BusClient.create({
    controlUrls: [member.controlUrl],
    identity: identityFromJson(member.identityJson),
    onEvent: (event) => {
      // A benchmark that drops frames measures something else: fail loudly.
      if (event.type === 'dropped') fail(new Error(`frame dropped in room ${event.roomId}: ${event.reason}`));
      if (event.type === 'disconnected') fail(new Error('NATS connection lost during the run'));
    },
  });
}

/** A publisher that stays at most `window` messages ahead of what its subscriber has counted. */
function windowed(window: number, publishOne: () => void | Promise<void>) {
  let received = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  return {
    credit(n: number) {
      received = n;
      wake?.();
    },
    async go() {
      while (!stopping) {
        while (sent - received < window && !stopping) {
          // Await only a promise: an await per raw publish would let nats.js flush (one socket write) per
          // message, which is not what a raw publisher does.
          const pending = publishOne();
          if (pending !== undefined) await pending;
          sent += 1;
        }
        // A message lost on the way never credits: say so instead of waiting for ever.
        const stalled = setTimeout(
          () => fail(new Error(`stalled: ${sent} sent, the subscriber counted ${received} after 5 s`)),
          5000,
        );
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        clearTimeout(stalled);
        wake = undefined;
      }
    },
    stop() {
      wake?.();
    },
  };
}

async function setUp(job: Job, timing: Timing): Promise<Running> {
  const payload = payloadOf(job.payloadBytes);
  switch (job.role) {
    case 'raw-sub': {
      const nc = await rawConnection(job.nats, 'bench-raw-sub');
      nc.subscribe(job.subject, {
        callback: (_error, msg) => {
          if (msg.data.byteLength !== job.payloadBytes) fail(new Error(`got ${msg.data.byteLength} bytes`));
          count();
        },
      });
      await nc.flush();
      return { describe: `raw subscriber on ${nc.getServer()}`, go: async () => {}, close: () => nc.close() };
    }
    case 'raw-pub': {
      const nc = await rawConnection(job.nats, 'bench-raw-pub');
      const publisher = windowed(job.window, () => nc.publish(job.subject, payload));
      return {
        describe: `raw publisher on ${nc.getServer()}, nats-server ${nc.info?.version ?? '?'}`,
        go: publisher.go,
        credit: publisher.credit,
        close: async () => {
          publisher.stop();
          await nc.close();
        },
      };
    }
    case 'bus-sub': {
      const client = busClient(job.member);
      const subscription = await client.subscribe(job.roomId, (message) => {
        if (message.payload.byteLength !== job.payloadBytes)
          fail(new Error(`opened ${message.payload.byteLength} bytes`));
        count();
      });
      // The subscription must be on the server before the publisher starts: a lost message never credits.
      await (await client.connect()).flush();
      return {
        describe: `BusClient.subscribe as ${client.endpointId.slice(0, 8)}`,
        go: async () => {},
        close: async () => {
          await subscription.close();
          await client.close();
        },
      };
    }
    case 'bus-pub': {
      const client = busClient(job.member);
      await client.connect();
      const publisher = windowed(job.window, async () => {
        await client.publish(job.roomId, payload);
      });
      return {
        describe: `BusClient.publish as ${client.endpointId.slice(0, 8)}`,
        go: publisher.go,
        credit: publisher.credit,
        close: async () => {
          publisher.stop();
          await client.close();
        },
      };
    }
    case 'seal': {
      const sender = identityFromJson(job.identityJson);
      const roomKey = keyOf(job.roomKey);
      const sealer = windowed(job.window, () => {
        sealFrame({ roomId: job.roomId, epoch: 1, sender, roomKey, sign: true, payload });
        count();
      });
      return {
        describe: 'sealFrame (AES-256-GCM + Ed25519 sign) as BusClient.publish calls it',
        go: sealer.go,
        credit: sealer.credit,
        close: async () => sealer.stop(),
      };
    }
    case 'open': {
      const sender = identityFromJson(job.identityJson);
      const roomKey = keyOf(job.roomKey);
      const frames = Array.from(
        { length: PRESEALED_FRAMES },
        () => sealFrame({ roomId: job.roomId, epoch: 1, sender, roomKey, sign: true, payload }).bytes,
      );
      // Opens only as many frames as the sealer has sealed so far: the two sides of one pipeline.
      let sealed = 0;
      let opened = 0;
      let wake: (() => void) | undefined;
      let replay = createReplayGuard();
      const openOne = () => {
        const result = openFrame(frames[opened % frames.length] as Uint8Array, {
          roomId: job.roomId,
          keyFor: (epoch) => (epoch === 1 ? roomKey : undefined),
          senderSignPub: () => sender.signPub,
          encrypted: true,
          signed: true,
          replay,
          nowMs: Date.now(),
        });
        if (!result.ok) throw new Error(`a frame did not open: ${result.reason}`);
        opened += 1;
        // The same frames come round again: a new guard, or every one would be a replay.
        if (opened % frames.length === 0) replay = createReplayGuard();
        count();
      };
      return {
        describe: `openFrame (Ed25519 verify + AES-256-GCM + replay check) over ${PRESEALED_FRAMES} frames sealed beforehand`,
        credit(n) {
          sealed = n;
          wake?.();
        },
        async go() {
          while (!stopping) {
            if (opened >= sealed) {
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = undefined;
              continue;
            }
            const until = Math.min(sealed, opened + CRYPTO_BATCH);
            while (opened < until) openOne();
            await yieldToEventLoop();
          }
        },
        close: async () => wake?.(),
      };
    }
    case 'bus-persist': {
      const client = busClient(job.member);
      await client.connect();
      const operation = async () => void (await client.publish(job.roomId, payload));
      return {
        describe: `BusClient.publish (persisted room) as ${client.endpointId.slice(0, 8)}`,
        go: () => closedLoop(job.inFlight, operation, timing),
        close: () => client.close(),
      };
    }
    case 'sse-clients':
      return sseClients(job, () => stopping);
    case 'raw-js': {
      const nc = await rawConnection(job.nats, 'bench-raw-js');
      const js = jetstream(nc, { timeout: 10_000 });
      const operation = async () => void (await js.publish(job.subject, payload));
      return {
        describe: `raw JetStream publish on ${nc.getServer()}`,
        go: () => closedLoop(job.inFlight, operation, timing),
        close: () => nc.close(),
      };
    }
  }
}

function keyOf(text: string): Uint8Array {
  const key = fromBase64Url(text);
  if (key === undefined) throw new Error('bad room key');
  return key;
}

async function closedLoop(inFlight: number, operation: () => Promise<void>, timing: Timing): Promise<void> {
  await runLoad({ concurrency: inFlight, durationSec: timing.warmupSec, operation });
  const load = await runLoad({ concurrency: inFlight, durationSec: timing.durationSec, operation });
  send({ type: 'result', load });
}

let running: Running | undefined;

/** Reports the first failure and exits; failures after a stop began (connections closing) are expected. */
function fail(error: unknown): void {
  if (stopping) return;
  stopping = true;
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  // Give the IPC message a moment to leave, then go.
  setTimeout(() => process.exit(1), 200);
}

process.on('message', (raw: unknown) => {
  const message = raw as ToWorker; // only the benchmark process holds this channel
  if (message.type === 'job') {
    setUp(message.job, message)
      .then((ready) => {
        running = ready;
        send({ type: 'ready', describe: ready.describe });
      })
      .catch(fail);
  } else if (message.type === 'go') {
    running?.go().catch(fail);
  } else if (message.type === 'credit') {
    running?.credit?.(message.received);
  } else if (message.type === 'report') {
    const summary = running?.report?.(message.expected);
    if (summary) send({ type: 'fanout', summary });
  } else if (message.type === 'stop') {
    stopping = true;
    void (running?.close() ?? Promise.resolve())
      .catch(() => undefined) // closing after the figures are taken: a failure here changes nothing
      .then(() => {
        send({ type: 'stopped' });
        process.disconnect();
      });
  }
});
// The benchmark process is gone (it failed or was killed): nothing to report to.
process.on('disconnect', () => process.exit(process.exitCode ?? 0));
