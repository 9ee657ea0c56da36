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

export function createPasswordPool(options: PasswordPoolOptions = {}): PasswordPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const nice = Math.min(19, Math.max(0, options.nice ?? 10));
  const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');
  const queue: Pending[] = [];
  const idle: Worker[] = [];
  const running = new Map<Worker, Pending>();
  let threads = 0;
  let closed = false;

  const spawn = (): void => {
    threads += 1;
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { argon2, nice } });
    // Idle threads must not keep the process alive; a thread with a job is ref'd while it runs.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const pending = running.get(worker);
      running.delete(worker);
      worker.unref();
      if (pending !== undefined) {
        if (reply.ok) pending.resolve(reply.value);
        else pending.reject(new Error(reply.message));
      }
      idle.push(worker);
      pump();
    });
    // A thread that dies (out of memory, a fault in the addon) fails its job and is replaced on demand.
    const gone = (error: Error) => {
      const pending = running.get(worker);
      running.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      threads -= 1;
      pending?.reject(error);
      if (!closed) pump();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => {
      if (running.has(worker) || idle.includes(worker)) gone(new Error(`password thread exited (${code})`));
    });
    idle.push(worker);
  };

  const pump = (): void => {
    while (queue.length > 0) {
      if (idle.length === 0 && threads < size) spawn();
      const worker = idle.pop();
      if (worker === undefined) return;
      const pending = queue.shift() as Pending;
      running.set(worker, pending);
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
      const workers = [...idle, ...running.keys()];
      idle.length = 0;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
