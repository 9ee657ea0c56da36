// The ceiling for bench/http's login flood: raw argon2id verifications per second with Homeport's parameters,
// one thread per core, each verifying in a loop with @node-rs/argon2's synchronous call and nothing else.
// Run as its own process: node peer-argon2.mjs <seconds> '<argon2 options as JSON>'; prints one JSON line.
// The bench passes Homeport's own ARGON2_OPTIONS, so the parameters cannot drift apart.

import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

const PASSWORD = 'correct horse battery staple';

if (isMainThread) {
  const seconds = Number(process.argv[2]);
  const options = JSON.parse(process.argv[3] ?? 'null');
  if (!(seconds > 0) || options === null) {
    console.error("usage: node peer-argon2.mjs <seconds> '<argon2 options JSON>'");
    process.exit(2);
  }
  const threads = availableParallelism();
  const hash = hashSync(PASSWORD, options);
  const started = Date.now();
  const until = started + seconds * 1000;
  const counts = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { hash, until } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const verifications = counts.reduce((sum, count) => sum + count, 0);
  const elapsed = (Date.now() - started) / 1000;
  console.log(JSON.stringify({ threads, hash: hash.slice(0, 30), verifications, seconds: elapsed }));
} else {
  const { hash, until } = workerData;
  let count = 0;
  while (Date.now() < until) {
    if (!verifySync(hash, PASSWORD)) throw new Error('verification failed');
    count += 1;
  }
  parentPort.postMessage(count);
}
