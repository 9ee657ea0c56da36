// Resource keys of the WebDAV state: '/' for the export root, '/a/b' below it; never a trailing slash.

/** The key of the collection holding `path`; '' for the root, which has none. */
export function parentKey(path: string): string {
  if (path === '/') return '';
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

/** The key of member `name` of collection `path`. */
export function childKey(path: string, name: string): string {
  return path === '/' ? `/${name}` : `${path}/${name}`;
}

/** Whether `path` is `ancestor` or lies below it. */
export function isSameOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/**
 * Bounds [low, high) of the keys strictly below `path`, for an indexed range scan: every key below '/a' starts
 * with '/a/', and '0' is the byte after '/', so they all sort before '/a0' (SQLite compares TEXT bytewise).
 */
export function belowRange(path: string): [string, string] {
  return path === '/' ? ['/', '0'] : [`${path}/`, `${path}0`];
}
