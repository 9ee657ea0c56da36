// Content-Type of a file from its name's extension (the only hint a file server has without reading it).

import mime from 'mime';

const DEFAULT_TYPE = 'application/octet-stream';
// Extension → type, filled on first sight: a PROPFIND of 10,000 files asks for a handful of extensions.
const byExtension = new Map<string, string>();

// The last name's extension as written ('.txt', dot included) and its type: a listing's neighbours mostly share
// one, and endsWith spares them the slice, the lowercasing and the lookup.
let lastSuffix = '';
let lastType = DEFAULT_TYPE;

export function contentTypeOf(name: string): string {
  // The suffix holds one dot, its first character: a name ending with it has its last dot there.
  if (lastSuffix !== '' && name.length > lastSuffix.length && name.endsWith(lastSuffix)) return lastType;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return DEFAULT_TYPE;
  const extension = name.slice(dot + 1).toLowerCase();
  let type = byExtension.get(extension);
  if (type === undefined) {
    type = mime.getType(extension) ?? DEFAULT_TYPE;
    if (byExtension.size < 4096) byExtension.set(extension, type);
  }
  lastSuffix = name.slice(dot);
  lastType = type;
  return type;
}
