// Content-Type of a file from its name's extension (the only hint a file server has without reading it).

import mime from 'mime';

const DEFAULT_TYPE = 'application/octet-stream';
// Extension → type, filled on first sight: a PROPFIND of 10,000 files asks for a handful of extensions.
const byExtension = new Map<string, string>();

export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return DEFAULT_TYPE;
  const extension = name.slice(dot + 1).toLowerCase();
  let type = byExtension.get(extension);
  if (type === undefined) {
    type = mime.getType(extension) ?? DEFAULT_TYPE;
    if (byExtension.size < 4096) byExtension.set(extension, type);
  }
  return type;
}
