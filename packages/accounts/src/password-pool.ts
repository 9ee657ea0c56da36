// argon2id runs on a few threads of our own, each at a lower scheduling priority than the event loop. On
// libuv's pool (where @node-rs/argon2's async calls run) a login flood takes every core at the event loop's
// own priority, and everything else the server answers meanwhile (/health, the API, event streams) waits its
// turn on the CPU. A nice'd thread still gets every cycle nobody else wants, so logins keep the machine's
// hashing rate while other requests stay fast.

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface Argon2Options {
  algorithm: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordPool {
  hash(password: string, options: Argon2Options): Promise<string>;
  /** False for a wrong password; rejects for a malformed stored hash. */
  verify(stored: string, password: string): Promise<boolean>;
  /** Ends the threads; jobs still queued are rejected. */
  close(): Promise<void>;
}

export interface PasswordPoolOptions {
  /** Hashing threads (default: one per core). */
  size?: number;
  /** Their nice value: 0 (the event loop's) to 19 (lowest); default 10. */
  nice?: number;
}

type Job =
  | { op: 'hash'; password: string; options: Argon2Options }
  | { op: 'verify'; stored: string; password: string };

interface Pending {
  job: Job;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

type Reply = { ok: true; value: string | boolean } | { ok: false; message: string };

/**
 * The thread's whole program, run with `eval` so the same code works from the bundle and from the sources
 * (no extra build entry, no loader): it lowers its own priority (on Linux, setpriority on the calling
 * thread is per thread) and answers one job at a time with argon2's synchronous calls.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const os = require('node:os');
const argon2 = require(workerData.argon2);
try { os.setPriority(0, workerData.nice); } catch {}
parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash'
      ? argon2.hashSync(job.password, job.options)
      : argon2.verifySync(job.stored, job.password);
    parentPort.postMessage({ ok: true, value });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message || error) });
  }
});
`;

/**
 * Jobs handed to one thread before it answers the first: the next is already in its message queue when it
 * finishes one, so a thread never waits for the event loop to hand it work (without it, the round trip left
 * the cores idle between hashes, ~10 % of the hashing rate under a login flood).
 */
const DEPTH = 2;

/** What the default pool (one thread per core) works on at once without queueing: callers bound by it. */
export const PASSWORD_JOBS_AT_ONCE = availableParallelism() * DEPTH;

export function createPasswordPool(options: PasswordPoolOptions = {}): PasswordPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const nice = Math.min(19, Math.max(0, options.nice ?? 10));
  const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');
  const queue: Pending[] = [];
  /** Each live thread and the jobs it was handed, oldest first (it answers them in order). */
  const threads = new Map<Worker, Pending[]>();
  let closed = false;

  const spawn = (): void => {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { argon2, nice } });
    const handed: Pending[] = [];
    threads.set(worker, handed);
    // Idle threads must not keep the process alive; a thread with work is ref'd until it is done.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const pending = handed.shift();
      if (handed.length === 0) worker.unref();
      if (pending !== undefined) {
        if (reply.ok) pending.resolve(reply.value);
        else pending.reject(new Error(reply.message));
      }
      pump();
    });
    // A thread that dies (out of memory, a fault in the addon) fails its jobs and is replaced on demand.
    const gone = (error: Error) => {
      if (threads.get(worker) !== handed) return;
      threads.delete(worker);
      for (const pending of handed.splice(0)) pending.reject(error);
      if (!closed) pump();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`password thread exited (${code})`)));
  };

  /** The live thread with the fewest jobs, if it can take one more. */
  const leastBusy = (): [Worker, Pending[]] | undefined => {
    let best: [Worker, Pending[]] | undefined;
    for (const entry of threads) if (best === undefined || entry[1].length < best[1].length) best = entry;
    return best !== undefined && best[1].length < DEPTH ? best : undefined;
  };

  const pump = (): void => {
    while (queue.length > 0) {
      let target = leastBusy();
      // A new thread before a second job for a busy one: every core first.
      if ((target === undefined || target[1].length > 0) && threads.size < size) {
        spawn();
        target = leastBusy();
      }
      if (target === undefined) return;
      const [worker, handed] = target;
      const pending = queue.shift() as Pending;
      handed.push(pending);
      worker.ref();
      worker.postMessage(pending.job);
    }
  };

  const submit = (job: Job): Promise<string | boolean> =>
    new Promise((resolve, reject) => {
      if (closed) {
        reject(new Error('the password pool is closed'));
        return;
      }
      queue.push({ job, resolve, reject });
      pump();
    });

  return {
    hash: async (password, argon2Options) =>
      (await submit({ op: 'hash', password, options: argon2Options })) as string,
    verify: async (stored, password) => (await submit({ op: 'verify', stored, password })) as boolean,
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new Error('the password pool is closed'));
      const workers = [...threads.keys()];
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
