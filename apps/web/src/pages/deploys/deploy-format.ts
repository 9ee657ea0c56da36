// How the Deploys page writes digests, durations and statuses.
import type { DeployStatus } from './api/deploy-types';

/** `sha256:0123456789ab` — the first 12 hex digits, as Docker shows image ids. */
export function shortDigest(digest: string | null): string {
  if (digest === null) return '—';
  const [algorithm, hex] = digest.split(':');
  return hex === undefined ? digest : `${algorithm}:${hex.slice(0, 12)}`;
}

/** "3 d 4 h", "5 min", "12 s": how long since `sinceMs`. */
export function formatUptime(sinceMs: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - sinceMs) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "1.5 s", "2 min 5 s" from milliseconds, for step durations. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const statusColor: Record<DeployStatus, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'teal',
  failed: 'red',
  cancelled: 'gray',
  superseded: 'gray',
  rolled_back: 'orange',
};

export const statusLabel = (status: DeployStatus): string => status.replace('_', ' ');

/** A duration field in seconds as the API's milliseconds, or undefined when it is not a number ≥ 0. */
export function secondsToMs(value: number | string): number | undefined {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : undefined;
}
