// Sizes and heartbeat ages as people read them on the Storage page.
import { formatRelative } from '../../lib/format';

const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** "1.8 TB", "512 GB" (decimal units, as disks are sold and file managers show them); `fallback` when unknown. */
export function formatBytes(bytes: number | null, fallback = 'Unknown'): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return fallback;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${value} ${value === 1 ? 'byte' : 'bytes'}`;
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const seconds = new Intl.RelativeTimeFormat(undefined, { numeric: 'always' });

/**
 * "25 seconds ago", "3 minutes ago"; `fallback` for a node never seen. Heartbeats come every few seconds
 * and a node turns offline within minutes, so "now" for anything under a minute would hide the difference
 * between a live node and one that has just gone quiet.
 */
export function formatLastSeen(iso: string | null, fallback: string, now: number): string {
  if (iso === null) return fallback;
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return iso;
  const ago = Math.round((now - time) / 1000);
  if (ago < 5) return 'just now';
  if (ago < 60) return seconds.format(-ago, 'second');
  return formatRelative(iso, fallback, now);
}

export interface SpaceSummary {
  /** "412 GB free of 2.0 TB", "2.0 TB disk", "size unknown". */
  text: string;
  /** Share of the disk in use, 0–100; undefined when free space is unknown. */
  usedPercent: number | undefined;
}

/**
 * What a person wants to know about an export's disk: how much is left. A capacity of 0 means the agent
 * could not tell (the server stores its null as 0); free and used space come from newer agents only.
 */
export function summarizeSpace(space: {
  capacityBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
}): SpaceSummary {
  const capacity = space.capacityBytes || null;
  if (capacity === null) return { text: 'size unknown', usedPercent: undefined };
  if (space.freeBytes === null) return { text: `${formatBytes(capacity)} disk`, usedPercent: undefined };
  // Used as the agent counted it (root's reserved blocks are neither used nor free for others).
  const used = space.usedBytes ?? capacity - space.freeBytes;
  const usedPercent = Math.min(100, Math.max(0, (used / capacity) * 100));
  return { text: `${formatBytes(space.freeBytes)} free of ${formatBytes(capacity)}`, usedPercent };
}
