// The upload queue against an in-memory agent that follows design13.md's upload protocol (the real agent
// is exercised by test/browser/files.test.ts): small files by PUT, large ones in chunks, resumed from the
// agent's offset after a broken connection or a pause, cancelled on the node, never replacing a file
// unless asked, and folders created parents first before their files.
import { describe, expect, it } from 'vitest';
import type { PatchResult, UploadStart } from '../src/pages/files/agent-client';
import { OffsetMismatchError } from '../src/pages/files/agent-client';
import { AgentError, agentErrorFor, unreachable } from '../src/pages/files/agent-error';
import { joinPath } from '../src/pages/files/file-paths';
import { createUploadQueue, type UploadPort, type UploadQueue } from '../src/pages/files/upload-queue';

const CHUNK = 16;

/** The agent's side of the protocol, in memory, with a log of calls and failures to inject. */
function memoryAgent() {
  const files = new Map<string, string>();
  const folders = new Set<string>(['/']);
  const uploads = new Map<
    string,
    { folder: string; name: string; length: number; data: string; overwrite: boolean }
  >();
  const log: string[] = [];
  const faults = { breakPatchAfterBytes: new Map<number, number>(), failFolders: false };
  let ids = 0;
  let patches = 0;
  const text = async (blob: Blob) => new TextDecoder().decode(await blob.arrayBuffer());
  const port: UploadPort = {
    async createFolder(path) {
      log.push(`MKCOL ${path}`);
      if (faults.failFolders) throw agentErrorFor(403);
      if (folders.has(path)) throw agentErrorFor(405);
      folders.add(path);
    },
    async put(path, body, options = {}) {
      log.push(`PUT ${path}`);
      if (!options.overwrite && files.has(path)) throw agentErrorFor(412);
      options.onProgress?.(body.size);
      files.set(path, await text(body));
    },
    async startUpload(folder, name, length, overwrite = false): Promise<UploadStart> {
      log.push(`POST ${folder} ${name} ${length}`);
      if (!overwrite && files.has(joinPath(folder, name))) throw agentErrorFor(412);
      const id = `u${++ids}`;
      uploads.set(id, { folder, name, length, data: '', overwrite });
      return { id, offset: 0 };
    },
    async uploadOffset(_folder, id) {
      log.push(`HEAD ${id}`);
      const upload = uploads.get(id);
      if (!upload) throw agentErrorFor(404);
      return upload.data.length;
    },
    async patchUpload(_folder, id, offset, chunk, options = {}): Promise<PatchResult> {
      options.signal?.throwIfAborted();
      patches += 1;
      log.push(`PATCH ${id} ${offset}`);
      const upload = uploads.get(id);
      if (!upload) throw agentErrorFor(404);
      if (offset !== upload.data.length) throw new OffsetMismatchError(upload.data.length);
      const body = await text(chunk);
      const breakAfter = faults.breakPatchAfterBytes.get(patches);
      if (breakAfter !== undefined) {
        // The connection broke mid-body: the agent kept what arrived.
        upload.data += body.slice(0, breakAfter);
        throw unreachable(new TypeError('socket hang up'));
      }
      options.onProgress?.(chunk.size);
      upload.data += body;
      if (upload.data.length < upload.length) return { offset: upload.data.length, complete: false };
      files.set(joinPath(upload.folder, upload.name), upload.data);
      uploads.delete(id);
      return { offset: upload.data.length, complete: true };
    },
    async cancelUpload(_folder, id) {
      log.push(`DELETE ${id}`);
      uploads.delete(id);
    },
  };
  return { port, files, folders, uploads, log, faults };
}

const blob = (text: string) => new Blob([text]);
const content = (size: number, seed = 'x') =>
  Array.from({ length: size }, (_, i) => String.fromCharCode(97 + ((i + seed.charCodeAt(0)) % 26))).join('');

function queueFor(agent: ReturnType<typeof memoryAgent>, concurrency = 2): UploadQueue {
  return createUploadQueue({
    client: agent.port,
    chunkBytes: CHUNK,
    retries: 3,
    retryDelayMs: () => 0,
    concurrency,
  });
}

/** Resolves once nothing is queued or in flight. */
function settled(queue: UploadQueue): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!queue.snapshot().busy) {
        stop();
        resolve();
      }
    };
    const stop = queue.subscribe(check);
    check();
  });
}

describe('upload queue', () => {
  it('sends small files in one PUT and large ones in chunks, with per-file and total progress', async () => {
    const agent = memoryAgent();
    const queue = queueFor(agent);
    const big = content(CHUNK * 3 + 5);
    const totals: number[] = [];
    queue.subscribe(() => totals.push(queue.snapshot().total.sent));
    queue.add({
      files: [
        { folder: '/', name: 'small.txt', file: blob('hello') },
        { folder: '/', name: 'big.bin', file: blob(big) },
      ],
    });
    await settled(queue);
    expect(agent.files.get('/small.txt')).toBe('hello');
    expect(agent.files.get('/big.bin')).toBe(big);
    expect(agent.log.filter((line) => line.startsWith('PATCH'))).toEqual([
      'PATCH u1 0',
      `PATCH u1 ${CHUNK}`,
      `PATCH u1 ${CHUNK * 2}`,
      `PATCH u1 ${CHUNK * 3}`,
    ]);
    const snapshot = queue.snapshot();
    expect(snapshot.tasks.map((task) => [task.name, task.state, task.sent])).toEqual([
      ['small.txt', 'done', 5],
      ['big.bin', 'done', big.length],
    ]);
    expect(snapshot.total).toEqual({ size: 5 + big.length, sent: 5 + big.length });
    // Progress went up step by step, not all at once at the end.
    expect(new Set(totals).size).toBeGreaterThan(4);
  });

  it('resumes a broken upload from the offset the agent reports, not from the start', async () => {
    const agent = memoryAgent();
    agent.faults.breakPatchAfterBytes.set(2, 7);
    const queue = queueFor(agent);
    const big = content(CHUNK * 3);
    queue.add({ files: [{ folder: '/', name: 'big.bin', file: blob(big) }] });
    await settled(queue);
    expect(agent.files.get('/big.bin')).toBe(big);
    expect(agent.log).toEqual([
      `POST / big.bin ${big.length}`,
      'PATCH u1 0',
      `PATCH u1 ${CHUNK}`,
      'HEAD u1',
      `PATCH u1 ${CHUNK + 7}`,
      `PATCH u1 ${CHUNK * 2 + 7}`,
    ]);
  });

  it('after giving up, Resume goes on from the agent’s offset with the same upload', async () => {
    const agent = memoryAgent();
    for (let patch = 2; patch <= 5; patch += 1) agent.faults.breakPatchAfterBytes.set(patch, 0);
    const queue = queueFor(agent);
    const big = content(CHUNK * 2 + 1);
    queue.add({ files: [{ folder: '/', name: 'big.bin', file: blob(big) }] });
    await settled(queue);
    const [task] = queue.snapshot().tasks;
    expect(task?.state).toBe('failed');
    expect(task?.error).toMatch(/reach the storage node/);
    queue.resume(task?.id ?? 0);
    await settled(queue);
    expect(agent.files.get('/big.bin')).toBe(big);
    expect(agent.log.filter((line) => line.startsWith('POST'))).toHaveLength(1);
    expect(agent.log.at(-3)).toBe('HEAD u1');
  });

  it('pause stops and resume continues from where the agent got to', async () => {
    const agent = memoryAgent();
    const queue = queueFor(agent);
    const big = content(CHUNK * 4);
    let paused = false;
    // Pause as soon as the first chunk has landed.
    const original = agent.port.patchUpload;
    agent.port.patchUpload = async (...args) => {
      const result = await original(...args);
      if (!paused) {
        paused = true;
        queue.pause(1);
      }
      return result;
    };
    queue.add({ files: [{ folder: '/', name: 'big.bin', file: blob(big) }] });
    await settled(queue);
    expect(queue.snapshot().tasks[0]?.state).toBe('paused');
    expect(agent.files.has('/big.bin')).toBe(false);
    queue.resume(1);
    await settled(queue);
    expect(agent.files.get('/big.bin')).toBe(big);
    expect(agent.log.filter((line) => line.startsWith('POST'))).toHaveLength(1);
    expect(agent.log).toContain('HEAD u1');
    expect(agent.log.filter((line) => line === 'PATCH u1 0')).toHaveLength(1);
  });

  it('cancel ends the upload on the agent and leaves it out of the total', async () => {
    const agent = memoryAgent();
    const queue = queueFor(agent);
    const original = agent.port.patchUpload;
    agent.port.patchUpload = async (...args) => {
      const result = await original(...args);
      queue.cancel(1);
      return result;
    };
    queue.add({
      files: [
        { folder: '/', name: 'big.bin', file: blob(content(CHUNK * 3)) },
        { folder: '/', name: 's', file: blob('abc') },
      ],
    });
    await settled(queue);
    expect(queue.snapshot().tasks[0]?.state).toBe('cancelled');
    expect(agent.log).toContain('DELETE u1');
    expect(agent.uploads.size).toBe(0);
    expect(agent.files.has('/big.bin')).toBe(false);
    expect(queue.snapshot().total).toEqual({ size: 3, sent: 3 });
  });

  it('never replaces an existing file unless asked, small or large', async () => {
    const agent = memoryAgent();
    agent.files.set('/a.txt', 'old');
    agent.files.set('/big.bin', 'old');
    const queue = queueFor(agent);
    const big = content(CHUNK * 2);
    queue.add({
      files: [
        { folder: '/', name: 'a.txt', file: blob('new') },
        { folder: '/', name: 'big.bin', file: blob(big) },
      ],
    });
    await settled(queue);
    expect(queue.snapshot().tasks.map((task) => [task.state, task.exists])).toEqual([
      ['failed', true],
      ['failed', true],
    ]);
    expect(agent.files.get('/a.txt')).toBe('old');
    queue.replace(1);
    queue.replace(2);
    await settled(queue);
    expect(agent.files.get('/a.txt')).toBe('new');
    expect(agent.files.get('/big.bin')).toBe(big);
  });

  it('creates a dropped folder tree parents first, then uploads into it; existing folders are fine', async () => {
    const agent = memoryAgent();
    agent.folders.add('/top');
    const queue = queueFor(agent);
    queue.add({
      folders: ['/top/sub/deeper', '/top', '/top/sub', '/top/empty'],
      files: [
        { folder: '/top/sub/deeper', name: 'd.txt', file: blob('d') },
        { folder: '/top', name: 't.txt', file: blob('t') },
      ],
    });
    await settled(queue);
    const mkcols = agent.log.filter((line) => line.startsWith('MKCOL'));
    expect(mkcols).toEqual(['MKCOL /top', 'MKCOL /top/sub', 'MKCOL /top/empty', 'MKCOL /top/sub/deeper']);
    expect(agent.log.findIndex((line) => line.startsWith('PUT'))).toBeGreaterThan(
      agent.log.indexOf('MKCOL /top/sub/deeper'),
    );
    expect(agent.files.get('/top/sub/deeper/d.txt')).toBe('d');
    expect(agent.folders.has('/top/empty')).toBe(true);
  });

  it('a folder that cannot be created fails its files with the reason', async () => {
    const agent = memoryAgent();
    agent.faults.failFolders = true;
    const queue = queueFor(agent);
    queue.add({ folders: ['/x'], files: [{ folder: '/x', name: 'a', file: blob('a') }] });
    await settled(queue);
    expect(queue.snapshot().tasks[0]).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/may not/),
    });
    expect(agent.files.size).toBe(0);
  });

  it('runs at most `concurrency` uploads at once', async () => {
    const agent = memoryAgent();
    let inFlight = 0;
    let most = 0;
    const original = agent.port.put;
    agent.port.put = async (...args) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return original(...args);
    };
    const queue = queueFor(agent, 2);
    queue.add({
      files: Array.from({ length: 6 }, (_, i) => ({ folder: '/', name: `f${i}`, file: blob('x') })),
    });
    await settled(queue);
    expect(most).toBe(2);
    expect(agent.files.size).toBe(6);
  });

  it('an agent error that is not transient fails at once, without retries', async () => {
    const agent = memoryAgent();
    agent.port.put = async () => {
      throw new AgentError(507, 'no_space', 'full');
    };
    const queue = queueFor(agent);
    queue.add({ files: [{ folder: '/', name: 'a', file: blob('a') }] });
    await settled(queue);
    expect(queue.snapshot().tasks[0]).toMatchObject({ state: 'failed', error: 'full' });
  });
});
