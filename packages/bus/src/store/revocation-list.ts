// The revocation list's merge, the same on both stores: an added entry never shortens one already there,
// and entries whose JWTs have all expired are dropped.

/**
 * `current` with `entries` added (the later `until` wins for a key in both) and every entry before
 * `pruneBeforeSec` dropped, keys in order so equal lists serialize alike.
 */
export function mergeRevocations(
  current: Readonly<Record<string, number>>,
  entries: Readonly<Record<string, number>>,
  pruneBeforeSec: number,
): Record<string, number> {
  const merged = new Map(Object.entries(current));
  for (const [natsPub, until] of Object.entries(entries))
    merged.set(natsPub, Math.max(until, merged.get(natsPub) ?? Number.NEGATIVE_INFINITY));
  const kept = [...merged].filter(([, until]) => until >= pruneBeforeSec);
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(kept);
}

/** Whether two lists hold the same entries (a merge that changed nothing is not written). */
export function sameRevocations(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
