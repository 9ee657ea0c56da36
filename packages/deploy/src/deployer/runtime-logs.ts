// A release's container output, kept in the store's bounded log (it outlives the container) with secret
// values masked, and handed to listeners for the live view. One follower per container; followers of
// containers that stop end by themselves (Docker closes the stream).

import type { Logger } from '@homeport/core';
import type { LogLine } from '../model.js';
import type { ContainerRuntime } from '../runtime/index.js';
import { maskSecrets } from '../secrets.js';
import type { DeployStore } from '../store/repositories.js';

export interface RuntimeLogCollector {
  /** Starts copying a container's output into its release's log (no-op when already followed). */
  follow(containerId: string, releaseId: string, secrets: readonly string[], sinceMs?: number): void;
  /** The last `lines` lines of a release's output, joined (for a failed health gate's reason). */
  tail(releaseId: string, lines: number): Promise<string>;
  /** Stops every follower and writes what they hold. */
  close(): Promise<void>;
}

const FLUSH_MS = 250;
const FLUSH_LINES = 200;

export function createRuntimeLogCollector(options: {
  runtime: ContainerRuntime;
  store: DeployStore;
  log: Logger;
  onLines?(releaseId: string, lines: readonly Omit<LogLine, 'seq'>[]): void;
}): RuntimeLogCollector {
  const followers = new Map<string, { abort: AbortController; done: Promise<void> }>();

  const run = async (
    containerId: string,
    releaseId: string,
    secrets: readonly string[],
    abort: AbortController,
    sinceMs?: number,
  ) => {
    let batch: Omit<LogLine, 'seq'>[] = [];
    let timer: NodeJS.Timeout | undefined;
    let writing = Promise.resolve();
    const flush = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (batch.length === 0) return writing;
      const lines = batch;
      batch = [];
      writing = writing
        .then(() => options.store.logs.append({ kind: 'runtime', releaseId }, lines))
        .then(() => options.onLines?.(releaseId, lines))
        .catch((err: unknown) => options.log.warn({ err, releaseId }, 'runtime log lines were not stored'));
      return writing;
    };
    try {
      for await (const entry of options.runtime.logs(containerId, {
        follow: true,
        signal: abort.signal,
        ...(sinceMs === undefined ? {} : { sinceMs }),
      })) {
        batch.push({
          ts: new Date(entry.ts).toISOString(),
          stream: entry.stream,
          line: maskSecrets(entry.line, secrets),
        });
        if (batch.length >= FLUSH_LINES) void flush();
        else timer ??= setTimeout(() => void flush(), FLUSH_MS);
      }
    } catch (err) {
      if (!abort.signal.aborted) options.log.warn({ err, containerId }, 'following container output stopped');
    } finally {
      await flush();
    }
  };

  return {
    follow(containerId, releaseId, secrets, sinceMs) {
      if (followers.has(containerId)) return;
      const abort = new AbortController();
      const done = run(containerId, releaseId, secrets, abort, sinceMs).finally(() =>
        followers.delete(containerId),
      );
      followers.set(containerId, { abort, done });
    },
    async tail(releaseId, lines) {
      // Lets the followers write what they hold first (a container that just died printed its last words).
      await new Promise((r) => setTimeout(r, FLUSH_MS + 50));
      const all: LogLine[] = [];
      let after = 0;
      for (;;) {
        const page = await options.store.logs.list({ kind: 'runtime', releaseId }, after, 1000);
        all.push(...page);
        if (page.length < 1000) break;
        after = page[page.length - 1]?.seq ?? after;
      }
      return all
        .slice(-lines)
        .map((l) => l.line)
        .join('\n');
    },
    async close() {
      const running = [...followers.values()];
      for (const f of running) f.abort.abort();
      await Promise.all(running.map((f) => f.done));
    },
  };
}
