// Log streams and webhook event claims on the KV port.
//
// Why KV chunks and not a JetStream stream with a subject per log (max_msgs_per_subject = maxLines): the store
// is built on core's KV port alone, which bounds every call in time and which the fault-injecting test ports
// wrap; a stream would need the raw JetStream client beside it, with timeouts and consumers of its own.
//
// A log is `head.<log>`, holding the last seq, the list of sealed chunks and the tail (the newest lines, up
// to CHUNK_LINES or CHUNK_BYTES), and `chunk.<log>.<id>` documents of sealed lines. An append is one
// compare-and-set of the head (concurrent appenders get distinct seqs, none lost); chunks it seals are
// written first under fresh ids, so a losing append's chunks are named by no head (it deletes them). The
// bound: chunks wholly older than the newest maxLines leave the head (and are deleted after it), and readers
// skip lines older than that, so a stream shows exactly its newest maxLines. A page reads the head and the
// chunks it covers: reads proportional to the page.

import { isConflict, type KvBucket, withCasRetry } from '@homeport/core';
import type { LogLine } from '../model.js';
import { CAS_TRIES, deleteAll, freshId, mapBounded, msOf, part, readDoc } from './kv-support.js';
import type { LogRepository, WebhookEventRepository } from './repositories.js';
import { checkPage, type LogBounds, maxLinesOf, storedLine, streamName } from './store-checks.js';

/** Lines per sealed chunk, and the JSON size past which the tail is sealed earlier (values stay far below 1 MiB). */
const CHUNK_LINES = 200;
const CHUNK_BYTES = 64 * 1024;

interface ChunkRef {
  id: string;
  first: number;
  last: number;
}

interface HeadDoc {
  lastSeq: number;
  chunks: ChunkRef[];
  tail: LogLine[];
}

const headKey = (log: string) => `head.${part(log)}`;
const chunkKey = (log: string, id: string) => `chunk.${part(log)}.${id}`;

const readHead = (bucket: KvBucket, log: string) =>
  readDoc<HeadDoc>(bucket, headKey(log), ['lastSeq', 'chunks', 'tail']);

/** Cuts the tail into sealed chunks while it is past a chunk's size; returns the chunks and the rest. */
function seal(tail: LogLine[]): { sealed: LogLine[][]; rest: LogLine[] } {
  const sealed: LogLine[][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < tail.length; i++) {
    bytes += JSON.stringify(tail[i]).length;
    if (i - start + 1 >= CHUNK_LINES || bytes >= CHUNK_BYTES) {
      sealed.push(tail.slice(start, i + 1));
      start = i + 1;
      bytes = 0;
    }
  }
  return { sealed, rest: tail.slice(start) };
}

export function kvLogRepository(bucket: KvBucket, bounds: LogBounds): LogRepository {
  return {
    async append(key, lines) {
      if (lines.length === 0) return;
      const log = streamName(key);
      const maxLines = maxLinesOf(bounds, key);
      const dropped = await withCasRetry(async () => {
        const entry = await readHead(bucket, log);
        const head: HeadDoc = entry?.value ?? { lastSeq: 0, chunks: [], tail: [] };
        const lastSeq = head.lastSeq + lines.length;
        const oldest = lastSeq - maxLines + 1;
        // Lines already past the bound in this very batch are never written.
        const fresh = lines
          .map((line, i) => ({ line, seq: head.lastSeq + i + 1 }))
          .filter(({ seq }) => seq >= oldest)
          .map(({ line, seq }) => storedLine(line, seq));
        const { sealed, rest } = seal([...head.tail.filter((line) => line.seq >= oldest), ...fresh]);
        const refs = sealed.map((chunk) => ({
          id: freshId(),
          first: (chunk[0] as LogLine).seq, // seal() makes no empty chunk
          last: (chunk.at(-1) as LogLine).seq,
        }));
        await mapBounded(refs, (ref, i) => bucket.put(chunkKey(log, ref.id), { lines: sealed[i] }));
        const chunks = [...head.chunks, ...refs];
        const kept = chunks.filter((chunk) => chunk.last >= oldest);
        const next: HeadDoc = { lastSeq, chunks: kept, tail: rest };
        try {
          if (entry === undefined) await bucket.create(headKey(log), next);
          else await bucket.update(headKey(log), next, entry.revision);
        } catch (error) {
          // Lost to another append: these chunks are named by no head.
          if (isConflict(error))
            await deleteAll(
              bucket,
              refs.map((ref) => chunkKey(log, ref.id)),
            );
          throw error;
        }
        return chunks.filter((chunk) => chunk.last < oldest);
      }, CAS_TRIES);
      // Named by no head any more; a failure here leaves chunks nothing reads (deleted with the log).
      await deleteAll(
        bucket,
        dropped.map((chunk) => chunkKey(log, chunk.id)),
      );
    },

    async list(key, afterSeq, limit) {
      checkPage(afterSeq, limit);
      const log = streamName(key);
      const head = (await readHead(bucket, log))?.value;
      if (head === undefined || limit === 0) return [];
      const from = Math.max(afterSeq + 1, head.lastSeq - maxLinesOf(bounds, key) + 1);
      const found: LogLine[] = [];
      for (const chunk of head.chunks) {
        if (found.length >= limit) break;
        if (chunk.last < from) continue;
        const doc = await readDoc<{ lines: LogLine[] }>(bucket, chunkKey(log, chunk.id), ['lines']);
        // A chunk the head names is written before the head: missing only if a removal runs meanwhile.
        for (const line of doc?.value.lines ?? [])
          if (line.seq >= from && found.length < limit) found.push(line);
      }
      for (const line of head.tail) if (line.seq >= from && found.length < limit) found.push(line);
      return found;
    },

    async remove(key) {
      const log = streamName(key);
      // Every chunk of the log, named by the head or left by a losing append.
      const chunks = await bucket.keys(`chunk.${part(log)}.`);
      await bucket.delete(headKey(log));
      await deleteAll(bucket, chunks);
    },
  };
}

/** How long the webhook bucket keeps a claim at most (its max age): a claim's ttl may not exceed it. */
export const WEBHOOK_CLAIM_RETENTION_MS = 7 * 24 * 3_600_000;

export function kvWebhookEventRepository(bucket: KvBucket): WebhookEventRepository {
  return {
    async claim(key, now, ttlMs) {
      const nowMs = msOf(now);
      if (!(ttlMs > 0 && ttlMs <= WEBHOOK_CLAIM_RETENTION_MS))
        throw new Error(
          `deploy store: a webhook claim's ttl must be within (0, ${WEBHOOK_CLAIM_RETENTION_MS}] ms`,
        );
      const eventKey = `event.${part(key)}`;
      return withCasRetry(async () => {
        const entry = await bucket.get<{ expiresAtMs: number }>(eventKey);
        if (entry !== undefined && entry.value.expiresAtMs > nowMs) return false;
        // `create` (or compare-and-set over an expired claim): of replicas claiming at once, one writes.
        if (entry === undefined) await bucket.create(eventKey, { expiresAtMs: nowMs + ttlMs });
        else await bucket.update(eventKey, { expiresAtMs: nowMs + ttlMs }, entry.revision);
        return true;
      }, CAS_TRIES);
    },
  };
}
