// The relative folder path of an export added from the UI (`photos/2026`), checked the same way by the control
// plane (to answer the admin at once) and by the agent (which decides, on its own file system).

const MAX_RELATIVE_PATH = 1024;
const MAX_SEGMENT_BYTES = 255;

/** `a/b` as its segments; a reason (a sentence) when it is not a plain relative path. */
export function relativeFolderSegments(relativePath: string): { segments: string[] } | { problem: string } {
  if (relativePath.length === 0 || relativePath.length > MAX_RELATIVE_PATH)
    return { problem: 'the folder path is empty or longer than 1024 characters' };
  if (relativePath.startsWith('/')) return { problem: 'the folder path must be relative to its root' };
  const segments = relativePath.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..')
      return { problem: 'the folder path has an empty, "." or ".." segment' };
    if (/[\\\0]/.test(segment)) return { problem: 'the folder path has a backslash or NUL character' };
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      return { problem: 'a folder name is longer than 255 bytes' };
  }
  return { segments };
}
