// Mount paths derived from export labels (`Family Photos` → `/dav/family-photos/`), by the agent for its
// own exports and by the control plane for betterNAS agents that send none.

/** Safe characters only, no leading or trailing dot or dash (so never a `.` or `..` segment), short. */
function slug(label: string): string {
  const cleaned = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 20);
  return cleaned === '' ? 'export' : cleaned;
}

/** `/dav/<slug>/`, or `/dav/<slug>-2/` and so on when taken; adds the result to `taken`. */
export function deriveMountPath(label: string, taken: Set<string>): string {
  const base = slug(label);
  let mountPath = `/dav/${base}/`;
  for (let n = 2; taken.has(mountPath); n += 1) mountPath = `/dav/${base}-${n}/`;
  taken.add(mountPath);
  return mountPath;
}
