// `GET <folder>/?watch`: Server-Sent Events telling the files page that the folder's direct contents changed
// (fs.watch, debounced), so it lists again. It lasts only as long as the credential that opened it: ended at
// its expiry and as soon as the gate learns it was revoked (the page reconnects with a fresh one).

import { type FSWatcher, watch } from 'node:fs';
import { DavError } from '../dav/errors.js';
import type { FilesOperation } from './context.js';

export interface WatchOptions {
  /** Calls the listener whenever the gate's state changes (keys, exports, revocations); returns unsubscribe. */
  onGateChange(listener: () => void): () => void;
  /** Watches one credential may hold open at once (default 8: a few tabs). */
  perCredential?: number;
  /** Watches this process holds at once (default 256: each is an inotify watch and a connection). */
  total?: number;
  /** Changes closer together than this make one event (default 200 ms). */
  debounceMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 25 s). */
  keepAliveMs?: number;
  /** How often the credential is checked besides gate changes: a retired key's grace ends by the clock. */
  recheckMs?: number;
  clock?: () => number;
}

const HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  // A reverse proxy in front (nginx) must pass events on at once rather than buffer them.
  'X-Accel-Buffering': 'no',
};

/** The watch operation, and a way to end every watch it holds (the server is stopping). */
export interface WatchOperation {
  operation: FilesOperation;
  endAll(): void;
}

export function createWatchOperation(options: WatchOptions): WatchOperation {
  const perCredential = options.perCredential ?? 8;
  const total = options.total ?? 256;
  const debounceMs = options.debounceMs ?? 200;
  const keepAliveMs = options.keepAliveMs ?? 25_000;
  const recheckMs = options.recheckMs ?? 5_000;
  const clock = options.clock ?? Date.now;
  const open = new Map<string, number>();
  const enders = new Set<() => void>();
  let count = 0;

  const operation: FilesOperation = async (request, response, ctx) => {
    const folder = await ctx.exportRoot.resolve(ctx.segments);
    if (folder.kind !== 'found') throw new DavError('not_found', 'No such folder');
    if (!folder.stats.isDirectory()) throw new DavError('conflict', '?watch needs a folder, this is a file');
    const holder = ctx.claims.username;
    const mine = open.get(holder) ?? 0;
    if (mine >= perCredential || count >= total)
      throw new DavError(
        'too_many_requests',
        mine >= perCredential ? 'Too many folder watches for this access' : 'Too many folder watches',
        { headers: { 'Retry-After': '30' } },
      );
    let watcher: FSWatcher;
    try {
      watcher = watch(folder.targetPath, { persistent: false });
    } catch (error) {
      // ENOSPC here is the inotify watch limit, not a full disk.
      throw new DavError('insufficient_storage', 'The agent cannot watch more folders now', { cause: error });
    }
    open.set(holder, mine + 1);
    count += 1;

    let ended = false;
    let pending: NodeJS.Timeout | undefined;
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe = (): void => undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      watcher.close();
      if (pending) clearTimeout(pending);
      for (const timer of timers) clearTimeout(timer);
      unsubscribe();
      enders.delete(end);
      const left = (open.get(holder) ?? 1) - 1;
      if (left === 0) open.delete(holder);
      else open.set(holder, left);
      count -= 1;
      if (!response.writableEnded) response.end();
    };
    const recheck = (): void => {
      if (!ctx.credentialValid()) end();
    };

    watcher.on('change', () => {
      if (ended || pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        if (!ended) response.write('event: changed\ndata: {}\n\n');
      }, debounceMs);
    });
    // The folder itself was removed or became unreadable: nothing left to watch; the page finds out by listing.
    watcher.on('error', end);
    enders.add(end);
    request.on('close', end);
    response.on('close', end);
    unsubscribe = options.onGateChange(recheck);
    const expiresInMs = ctx.claims.expiresAt * 1000 - clock();
    timers.push(setTimeout(end, Math.max(0, expiresInMs)));
    timers.push(setInterval(recheck, recheckMs));
    timers.push(setInterval(() => response.write(': keep-alive\n\n'), keepAliveMs));
    for (const timer of timers) timer.unref();

    response.writeHead(200, HEADERS);
    // Tells the page the watch is on (and flushes the head): changes from now on are reported.
    response.write(': watching\n\n');
  };
  return {
    operation,
    endAll() {
      for (const end of [...enders]) end();
    },
  };
}
