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
