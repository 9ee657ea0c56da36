// Docker's multiplexed log stream (non-TTY containers) turned into lines: 8-byte frame headers say which stream a
// payload belongs to, each payload is one log message prefixed with its RFC 3339 timestamp (`timestamps=1`).
// Docker splits lines longer than 16 KiB into partial messages without a newline; they are joined here, and a line
// is capped at MAX_LINE_BYTES: the first 16 KiB are kept, the rest dropped until its newline, and the line ends
// with TRUNCATED_MARK so a reader sees it was cut.

import type { RuntimeLogLine } from './types.js';

export const MAX_LINE_BYTES = 16 * 1024;
export const TRUNCATED_MARK = ' …[truncated]';

const HEADER = 8;
const STREAMS = { 1: 'stdout', 2: 'stderr' } as const;

interface Pending {
  ts: number;
  parts: Buffer[];
  bytes: number;
  truncated: boolean;
}

/** Epoch ms of Docker's `2024-01-02T03:04:05.123456789Z`; NaN when it is not one. */
function parseTimestamp(text: string): number {
  // Date.parse takes at most millisecond precision; drop the extra fraction digits.
  return Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
}

export class LogDemuxer {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<'stdout' | 'stderr', Pending>();

  /** Feeds raw bytes; returns the lines completed by them. */
  push(chunk: Buffer): RuntimeLogLine[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const lines: RuntimeLogLine[] = [];
    while (this.buffered.length >= HEADER) {
      const size = this.buffered.readUInt32BE(4);
      if (this.buffered.length < HEADER + size) break;
      const kind = STREAMS[this.buffered[0] as 1 | 2];
      const payload = this.buffered.subarray(HEADER, HEADER + size);
      this.buffered = this.buffered.subarray(HEADER + size);
      // stdin (0) never carries output; an unknown stream byte is skipped rather than misattributed.
      if (kind !== undefined) this.message(kind, payload, lines);
    }
    return lines;
  }

  /** At the end of the stream: lines still waiting for a newline. */
  end(): RuntimeLogLine[] {
    const lines: RuntimeLogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) this.flush(stream, lines);
    return lines;
  }

  private message(stream: 'stdout' | 'stderr', payload: Buffer, lines: RuntimeLogLine[]): void {
    const space = payload.indexOf(0x20);
    const stamp =
      space > 0 && space < 40 ? parseTimestamp(payload.subarray(0, space).toString('latin1')) : Number.NaN;
    let body = Number.isNaN(stamp) ? payload : payload.subarray(space + 1);
    const ts = Number.isNaN(stamp) ? Date.now() : stamp;
    // A message normally holds one line; split defensively in case a driver packs several.
    for (;;) {
      const newline = body.indexOf(0x0a);
      if (newline === -1) break;
      this.append(stream, ts, body.subarray(0, newline));
      this.flush(stream, lines);
      body = body.subarray(newline + 1);
    }
    if (body.length > 0) this.append(stream, ts, body);
  }

  private append(stream: 'stdout' | 'stderr', ts: number, bytes: Buffer): void {
    let pending = this.pending.get(stream);
    if (!pending) {
      pending = { ts, parts: [], bytes: 0, truncated: false };
      this.pending.set(stream, pending);
    }
    const room = MAX_LINE_BYTES - pending.bytes;
    if (bytes.length > room) pending.truncated = true;
    const kept = bytes.length > room ? bytes.subarray(0, Math.max(0, room)) : bytes;
    if (kept.length > 0) {
      // Copied: the frame buffer it points into is reused.
      pending.parts.push(Buffer.from(kept));
      pending.bytes += kept.length;
    }
  }

  private flush(stream: 'stdout' | 'stderr', lines: RuntimeLogLine[]): void {
    const pending = this.pending.get(stream);
    if (!pending) return;
    this.pending.delete(stream);
    // A cut in the middle of a UTF-8 sequence decodes to U+FFFD, which is acceptable for a capped line.
    const text = Buffer.concat(pending.parts).toString('utf8').replace(/\r$/, '');
    lines.push({ stream, ts: pending.ts, line: pending.truncated ? `${text}${TRUNCATED_MARK}` : text });
  }
}
