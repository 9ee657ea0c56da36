// Log streams and webhook event claims on SQLite. A stream's lines are rows keyed (stream, seq): the last
// seq, a page and the trim of the oldest are ranges of that key, so an append costs the lines it adds and
// the ones it drops, never a scan of the stream.

import type { SqliteDatabase } from '@homeport/core';
import type { LogLine } from '../model.js';
import type { LogRepository, WebhookEventRepository } from './repositories.js';
import { writeTransaction } from './sqlite-support.js';
import { checkPage, type LogBounds, maxLinesOf, storedLine, streamName } from './store-checks.js';

interface LogRow {
  seq: number;
  ts: string;
  source: LogLine['stream'];
  line: string;
}

export function sqliteLogRepository(db: SqliteDatabase, bounds: LogBounds): LogRepository {
  const last = db
    .prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) FROM deploy_logs WHERE stream = ?')
    .pluck();
  const insert = db.prepare('INSERT INTO deploy_logs (stream, seq, ts, source, line) VALUES (?, ?, ?, ?, ?)');
  const trim = db.prepare<[string, number]>('DELETE FROM deploy_logs WHERE stream = ? AND seq <= ?');
  const page = db.prepare<[string, number, number], LogRow>(
    'SELECT seq, ts, source, line FROM deploy_logs WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  const remove = db.prepare<[string]>('DELETE FROM deploy_logs WHERE stream = ?');
  const append = writeTransaction(
    db,
    (stream: string, lines: readonly Omit<LogLine, 'seq'>[], maxLines: number) => {
      let seq = last.get(stream) as number;
      // Lines past the bound in this very batch are never written.
      const kept = lines.slice(Math.max(0, lines.length - maxLines));
      seq += lines.length - kept.length;
      for (const line of kept) {
        const stored = storedLine(line, ++seq);
        insert.run(stream, stored.seq, stored.ts, stored.stream, stored.line);
      }
      trim.run(stream, seq - maxLines);
    },
  );
  return {
    async append(key, lines) {
      if (lines.length > 0) append(streamName(key), lines, maxLinesOf(bounds, key));
    },
    async list(key, afterSeq, limit) {
      checkPage(afterSeq, limit);
      return page
        .all(streamName(key), afterSeq, limit)
        .map((row) => ({ seq: row.seq, ts: row.ts, stream: row.source, line: row.line }));
    },
    async remove(key) {
      remove.run(streamName(key));
    },
  };
}

export function sqliteWebhookEventRepository(db: SqliteDatabase): WebhookEventRepository {
  // Expired claims go at every claim: an index range over the expired ones only.
  const sweep = db.prepare<[number]>('DELETE FROM deploy_webhook_events WHERE expires_at_ms <= ?');
  const claim = db.prepare<[string, number]>(
    'INSERT OR IGNORE INTO deploy_webhook_events (key, expires_at_ms) VALUES (?, ?)',
  );
  const run = writeTransaction(db, (key: string, nowMs: number, ttlMs: number) => {
    sweep.run(nowMs);
    return claim.run(key, nowMs + ttlMs).changes === 1;
  });
  return {
    async claim(key, now, ttlMs) {
      const nowMs = Date.parse(now);
      if (Number.isNaN(nowMs) || !(ttlMs > 0))
        throw new Error('deploy store: claim needs an ISO time and a ttl > 0');
      return run(key, nowMs, ttlMs);
    },
  };
}
