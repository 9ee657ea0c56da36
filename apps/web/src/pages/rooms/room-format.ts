// How the Rooms page writes times, handles and keys.

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A message's time: the API sends epoch ms or an ISO string. */
export function messageDate(ts: number | string): Date {
  return new Date(ts);
}

/** "14:05" today, "12 Mar 2026, 14:05" on another day. */
export function formatMessageTime(date: Date, now: Date = new Date()): string {
  if (Number.isNaN(date.getTime())) return '';
  return date.toDateString() === now.toDateString() ? timeOnly.format(date) : dayAndTime.format(date);
}

/**
 * A key's fingerprint as people compare it: its first 16 hex digits in groups of four ("3f2a 9c01 …"),
 * enough to tell keys apart on a screen; the whole key is in the title and the copy button.
 */
export function keyFingerprint(hex: string): string {
  return (
    hex
      .toLowerCase()
      .slice(0, 16)
      .match(/.{1,4}/g) ?? []
  ).join(' ');
}
