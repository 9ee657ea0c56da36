// The page's uploads: files and whole folders, two at a time, each with its progress, pause, resume and
// cancel. Small files go in one PUT; larger ones by the agent's resumable protocol in chunks, so a broken
// connection costs at most one chunk: the queue asks the agent where it got to and goes on from there.
// Nothing is replaced unless the person says so (If-None-Match: * on every upload until "Replace").
import type { AgentClient } from './agent-client';
import { OffsetMismatchError } from './agent-client';
import { AgentError, isAbort } from './agent-error';
import { joinPath, segmentsOf } from './file-paths';

/** Files up to this size go in one PUT; chunks of the resumable protocol are this size too. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

export type UploadState = 'queued' | 'uploading' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface UploadTask {
  id: number;
  /** The folder it goes into. */
  folder: string;
  name: string;
  size: number;
  sent: number;
  state: UploadState;
  error?: string;
  /** Failed because the name is taken: "Replace" sends it again allowing the overwrite. */
  exists?: boolean;
}

export interface UploadSnapshot {
  tasks: readonly UploadTask[];
  /** Bytes of every upload not cancelled, and how many of them are sent. */
  total: { size: number; sent: number };
  /** Something is queued or in flight. */
  busy: boolean;
}

export interface UploadFile {
  folder: string;
  name: string;
  file: Blob;
}

export interface UploadBatch {
  /** Folders to create first (a dropped folder and its subfolders, empty ones too), parents before children. */
  folders?: readonly string[];
  files: readonly UploadFile[];
}

export type UploadPort = Pick<
  AgentClient,
  'put' | 'startUpload' | 'uploadOffset' | 'patchUpload' | 'cancelUpload' | 'createFolder'
>;

export interface UploadQueueOptions {
  client: UploadPort;
  /** @default 2 */
  concurrency?: number;
  /** @default CHUNK_BYTES */
  chunkBytes?: number;
  /** Times a broken request is tried again before the upload is marked failed. @default 5 */
  retries?: number;
  /** Wait before retry `attempt` (1-based). @default 1 s doubling, at most 15 s */
  retryDelayMs?: (attempt: number) => number;
  /** Told when an upload has landed (the page refreshes the folder). */
  onUploaded?: (task: UploadTask) => void;
}

export interface UploadQueue {
  add(batch: UploadBatch): void;
  pause(id: number): void;
  /** Goes on with a paused or failed upload (a large one from where the agent got to). */
  resume(id: number): void;
  /** Sends it again allowing it to replace the existing file of that name. */
  replace(id: number): void;
  cancel(id: number): void;
  /** Forgets finished, failed and cancelled uploads. */
  clearFinished(): void;
  snapshot(): UploadSnapshot;
  subscribe(listener: () => void): () => void;
}

interface Job {
  task: UploadTask;
  file: Blob;
  ready: Promise<void>;
  overwrite: boolean;
  uploadId?: string;
  controller?: AbortController;
}

export function createUploadQueue(options: UploadQueueOptions): UploadQueue {
  const client = options.client;
  const concurrency = options.concurrency ?? 2;
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const retries = options.retries ?? 5;
  const retryDelay = options.retryDelayMs ?? ((attempt) => Math.min(15_000, 1000 * 2 ** (attempt - 1)));
  const jobs: Job[] = [];
  const listeners = new Set<() => void>();
  let nextId = 1;
  let running = 0;
  let current: UploadSnapshot = { tasks: [], total: { size: 0, sent: 0 }, busy: false };

  const publish = () => {
    const tasks = jobs.map((job) => ({ ...job.task }));
    const counted = tasks.filter((task) => task.state !== 'cancelled');
    current = {
      tasks,
      total: {
        size: counted.reduce((sum, task) => sum + task.size, 0),
        sent: counted.reduce((sum, task) => sum + task.sent, 0),
      },
      busy: tasks.some((task) => task.state === 'queued' || task.state === 'uploading'),
    };
    for (const listener of listeners) listener();
  };

  const pump = () => {
    while (running < concurrency) {
      const job = jobs.find((candidate) => candidate.task.state === 'queued');
      if (!job) break;
      running += 1;
      void run(job).finally(() => {
        running -= 1;
        pump();
      });
    }
    publish();
  };

  async function run(job: Job): Promise<void> {
    const { task } = job;
    const controller = new AbortController();
    job.controller = controller;
    task.state = 'uploading';
    delete task.error;
    delete task.exists;
    publish();
    try {
      await job.ready;
      if (task.size <= chunkBytes) await putWhole(job, controller.signal);
      else await resumable(job, controller.signal);
      task.sent = task.size;
      task.state = 'done';
      options.onUploaded?.({ ...task });
    } catch (error) {
      // Paused or cancelled: the state says so already.
      if (controller.signal.aborted) return;
      task.state = 'failed';
      task.error = error instanceof Error ? error.message : String(error);
      if (error instanceof AgentError && error.code === 'exists') {
        task.exists = true;
        delete job.uploadId;
      }
    } finally {
      // A resume right after a pause may have started the next run already: leave its controller alone.
      if (job.controller === controller) delete job.controller;
      publish();
    }
  }

  /** Runs `attempt` again after a broken connection or a 5xx, up to `retries` times. */
  async function withRetries<T>(signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (isAbort(error) || !isTransient(error) || tries >= retries) throw error;
        await delay(retryDelay(tries + 1), signal);
      }
    }
  }

  async function putWhole(job: Job, signal: AbortSignal): Promise<void> {
    const { task } = job;
    await withRetries(signal, () => {
      task.sent = 0;
      return client.put(joinPath(task.folder, task.name), job.file, {
        signal,
        overwrite: job.overwrite,
        onProgress: (sent) => {
          task.sent = sent;
          publish();
        },
      });
    });
  }

  async function resumable(job: Job, signal: AbortSignal): Promise<void> {
    const { task } = job;
    let offset = await withRetries(signal, async () => {
      if (job.uploadId !== undefined) {
        try {
          return await client.uploadOffset(task.folder, job.uploadId, signal);
        } catch (error) {
          // Swept or cancelled on the node: start over.
          if (!(error instanceof AgentError && error.code === 'not_found')) throw error;
        }
      }
      const started = await client.startUpload(task.folder, task.name, task.size, job.overwrite);
      job.uploadId = started.id;
      return started.offset;
    });
    const id = job.uploadId;
    if (id === undefined) throw new Error('no upload id');
    let failures = 0;
    let resync = false;
    for (;;) {
      // Paused or cancelled between two chunks: stop before sending the next.
      signal.throwIfAborted();
      try {
        if (resync) offset = await client.uploadOffset(task.folder, id, signal);
        resync = false;
        task.sent = offset;
        publish();
        const chunk = job.file.slice(offset, Math.min(task.size, offset + chunkBytes));
        const start = offset;
        const result = await client.patchUpload(task.folder, id, offset, chunk, {
          signal,
          onProgress: (sent) => {
            task.sent = start + sent;
            publish();
          },
        });
        failures = 0;
        offset = result.offset;
        if (result.complete) return;
      } catch (error) {
        if (error instanceof OffsetMismatchError) {
          offset = error.offset;
          continue;
        }
        if (isAbort(error) || !isTransient(error) || failures >= retries) throw error;
        failures += 1;
        resync = true;
        await delay(retryDelay(failures), signal);
      }
    }
  }

  const find = (id: number) => jobs.find((job) => job.task.id === id);

  return {
    add(batch) {
      // Parents before children, each once; an existing folder (405) is fine.
      const folders = [...new Set(batch.folders ?? [])].sort(
        (a, b) => segmentsOf(a).length - segmentsOf(b).length,
      );
      const ready = (async () => {
        for (const folder of folders) {
          try {
            await client.createFolder(folder);
          } catch (error) {
            if (!(error instanceof AgentError && error.code === 'exists')) throw error;
          }
        }
      })();
      // Each job awaits it; a failure is reported on each of them, not as an unhandled rejection.
      ready.catch(() => undefined);
      for (const item of batch.files) {
        jobs.push({
          task: {
            id: nextId++,
            folder: item.folder,
            name: item.name,
            size: item.file.size,
            sent: 0,
            state: 'queued',
          },
          file: item.file,
          ready,
          overwrite: false,
        });
      }
      pump();
    },
    pause(id) {
      const job = find(id);
      if (!job || (job.task.state !== 'uploading' && job.task.state !== 'queued')) return;
      job.task.state = 'paused';
      job.controller?.abort();
      publish();
    },
    resume(id) {
      const job = find(id);
      if (!job || (job.task.state !== 'paused' && job.task.state !== 'failed')) return;
      job.task.state = 'queued';
      pump();
    },
    replace(id) {
      const job = find(id);
      if (!job?.task.exists) return;
      job.overwrite = true;
      job.task.state = 'queued';
      pump();
    },
    cancel(id) {
      const job = find(id);
      if (!job || job.task.state === 'done' || job.task.state === 'cancelled') return;
      job.task.state = 'cancelled';
      job.controller?.abort();
      const uploadId = job.uploadId;
      delete job.uploadId;
      if (uploadId !== undefined) {
        client.cancelUpload(job.task.folder, uploadId).catch((error: unknown) => {
          // The node sweeps abandoned parts after a day; nothing else to do from here.
          console.error('could not cancel the upload on the node', error);
        });
      }
      publish();
    },
    clearFinished() {
      for (let index = jobs.length - 1; index >= 0; index -= 1) {
        const state = jobs[index]?.task.state;
        if (state === 'done' || state === 'failed' || state === 'cancelled') jobs.splice(index, 1);
      }
      publish();
    },
    snapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** No answer, or the node failing for now: worth another try. */
function isTransient(error: unknown): boolean {
  return error instanceof AgentError && (error.status === 0 || error.status >= 500) && error.status !== 507;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException('aborted', 'AbortError'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
