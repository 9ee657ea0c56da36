// Paths inside an export as the Files page handles them: decoded, '/'-rooted ('/' is the export itself),
// and the two ways they leave the page — the agent's URL and the page's own address — each percent-encoded
// per segment, so a name holding '#', '?', '%', '/'-lookalikes or any Unicode reaches the agent as itself.

/** Longest name a file system here takes (bytes of UTF-8); the agent refuses longer ones. */
export const MAX_NAME_BYTES = 255;

/** The decoded segments of a '/'-rooted path; '/' has none. */
export function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

export function pathOf(segments: readonly string[]): string {
  return `/${segments.join('/')}`;
}

export function joinPath(folder: string, name: string): string {
  return pathOf([...segmentsOf(folder), name]);
}

/** The folder holding `path`; the root's parent is the root. */
export function parentOf(path: string): string {
  return pathOf(segmentsOf(path).slice(0, -1));
}

/** The last segment; '' for the root. */
export function baseName(path: string): string {
  return segmentsOf(path).at(-1) ?? '';
}

/** Whether `path` is `folder` itself or inside it (a folder cannot be moved into itself). */
export function isSameOrInside(path: string, folder: string): boolean {
  const inner = segmentsOf(path);
  const outer = segmentsOf(folder);
  return outer.length <= inner.length && outer.every((segment, index) => inner[index] === segment);
}

/** `/a b/c#d` → `/a%20b/c%23d`: every segment encoded on its own. */
export function encodePath(path: string): string {
  return pathOf(segmentsOf(path).map((segment) => encodeURIComponent(segment)));
}

/**
 * The agent's URL of an item: the export's mount URL (which ends in '/') and the encoded path, with a
 * trailing '/' for a folder as WebDAV expects of a collection.
 */
export function agentUrl(baseUrl: string, path: string, folder: boolean): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const relative = encodePath(path).slice(1);
  return `${base}${relative}${folder && relative !== '' ? '/' : ''}`;
}

/** The Files page's address of a folder of an export. */
export function filesPageUrl(exportId: string, path: string): string {
  const encoded = encodePath(path);
  return `/files/${encodeURIComponent(exportId)}${encoded === '/' ? '' : encoded}`;
}

/**
 * The folder a Files page address names, read from the raw pathname (not the router's decoded splat, which
 * would turn an encoded '%2F' into a separator); null when a segment is not valid percent-encoding or
 * names '.'/'..' — such an address is made by hand, not by this page.
 */
export function pathFromPageUrl(pathname: string, exportId: string): string | null {
  const prefix = `/files/${encodeURIComponent(exportId)}`;
  if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return null;
  const segments: string[] = [];
  for (const raw of pathname.slice(prefix.length).split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      // Malformed escapes: no folder of the export is called that.
      return null;
    }
    if (!isPlainName(segment)) return null;
    segments.push(segment);
  }
  return pathOf(segments);
}

export interface Crumb {
  name: string;
  path: string;
}

/** The root (named after the export) and every folder down to `path`. */
export function breadcrumbs(path: string, rootName: string): Crumb[] {
  const segments = segmentsOf(path);
  return [
    { name: rootName, path: '/' },
    ...segments.map((name, index) => ({ name, path: pathOf(segments.slice(0, index + 1)) })),
  ];
}

/** One path segment the agent accepts: not empty, not '.'/'..', no separator, no NUL, not too long. */
export function isPlainName(name: string): boolean {
  return name !== '' && checkName(name) === null;
}

/** Why `name` cannot be a file or folder name, or null when it can (the agent checks again). */
export function checkName(name: string): string | null {
  if (name === '') return 'Enter a name';
  if (name === '.' || name === '..') return 'This name is reserved';
  if (name.includes('/') || name.includes('\\')) return 'A name cannot contain / or \\';
  if (name.includes('\0')) return 'A name cannot contain a NUL character';
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) return 'This name is too long';
  return null;
}
