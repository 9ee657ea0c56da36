// The two dates of every PROPFIND response (getlastmodified, creationdate), formatted without a Date: a listing
// of 10,000 files formats 20,000 of them, and Date's toUTCString/toISOString were a tenth of its time.

import { httpDate, isoDate } from '../etag.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
/** 10000-01-01T00:00:00Z: from there on years have five digits, which the formats below do not handle. */
export const YEAR_10000_MS = 253_402_300_800_000;

interface Civil {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  weekday: number;
  /** Seconds into the day. */
  seconds: number;
}

/**
 * The calendar date of a whole-second Unix time (days-from-civil inverted, as in Howard Hinnant's
 * `chrono`-compatible date algorithms), for times from 1970 to 9999.
 */
function civilOf(unixSeconds: number): Civil {
  const days = Math.floor(unixSeconds / 86_400);
  const seconds = unixSeconds - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  // 1970-01-01 was a Thursday (4, counting from Sunday).
  return { year, month, day, weekday: (days + 4) % 7, seconds };
}

const clock = (seconds: number) =>
  `${TWO_DIGITS[Math.floor(seconds / 3600)]}:${TWO_DIGITS[Math.floor(seconds / 60) % 60]}:${TWO_DIGITS[seconds % 60]}`;

/** Both formatters remember their last answer: files written together share their second. */
let lastHttpSecond = Number.NaN;
let lastHttp = '';
let lastIsoSecond = Number.NaN;
let lastIso = '';

/** RFC 1123 date (`Tue, 01 Dec 2026 13:18:02 GMT`), the same text as `new Date(ms).toUTCString()`. */
export function fastHttpDate(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return httpDate(ms);
  const second = Math.floor(ms / 1000);
  if (second === lastHttpSecond) return lastHttp;
  const c = civilOf(second);
  lastHttp = `${DAYS[c.weekday]}, ${TWO_DIGITS[c.day]} ${MONTHS[c.month - 1]} ${String(c.year).padStart(4, '0')} ${clock(c.seconds)} GMT`;
  lastHttpSecond = second;
  return lastHttp;
}

/** RFC 3339 date in whole seconds (`2026-12-01T13:18:02Z`), the same text as isoDate in etag.ts. */
export function fastIsoDate(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return isoDate(ms);
  const second = Math.floor(ms / 1000);
  if (second === lastIsoSecond) return lastIso;
  const c = civilOf(second);
  lastIso = `${String(c.year).padStart(4, '0')}-${TWO_DIGITS[c.month]}-${TWO_DIGITS[c.day]}T${clock(c.seconds)}Z`;
  lastIsoSecond = second;
  return lastIso;
}
