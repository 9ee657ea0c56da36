// Which preview a file gets. Nothing a user uploaded is ever rendered as a page of an origin that matters:
// images go in <img> (which runs no script, SVG included), audio and video in media elements, text (HTML
// and SVG sources too) as characters in a <pre>, and a PDF in a frame of its own blob with the PDF type.
import type { FileEntry } from './files-types';

export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | 'none';

/** Text previews read this much of the file at most (one Range request). */
export const TEXT_PREVIEW_BYTES = 256 * 1024;

/** PDF previews load the whole file into memory: past this size the page offers a download instead. */
export const PDF_PREVIEW_BYTES = 64 * 1024 * 1024;

const IMAGE = /^image\/(?:png|jpeg|gif|webp|avif|bmp|svg\+xml|x-icon|vnd\.microsoft\.icon)$/;
const TEXT_TYPES = /^(?:text\/.+|application\/(?:json|xml|javascript|x-sh|x-yaml|yaml|toml|x-toml))$/;
const TEXT_EXTENSIONS =
  /\.(?:txt|md|markdown|log|csv|tsv|json|ya?ml|toml|ini|conf|cfg|env|xml|html?|css|js|mjs|ts|tsx|jsx|py|rb|go|rs|java|c|h|cpp|hpp|sh|sql|srt|vtt)$/i;
const EXTENSION_TYPES: Record<string, PreviewKind> = {
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  avif: 'image',
  svg: 'image',
  mp4: 'video',
  webm: 'video',
  mov: 'video',
  m4v: 'video',
  mp3: 'audio',
  m4a: 'audio',
  ogg: 'audio',
  oga: 'audio',
  opus: 'audio',
  wav: 'audio',
  flac: 'audio',
  pdf: 'pdf',
};

export function previewKind(entry: Pick<FileEntry, 'kind' | 'name' | 'type' | 'size'>): PreviewKind {
  if (entry.kind !== 'file') return 'none';
  const type = (entry.type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (IMAGE.test(type)) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  if (type === 'application/pdf') return entry.size <= PDF_PREVIEW_BYTES ? 'pdf' : 'none';
  if (TEXT_TYPES.test(type)) return 'text';
  const extension = /\.([^.]+)$/.exec(entry.name)?.[1]?.toLowerCase() ?? '';
  const byExtension = EXTENSION_TYPES[extension];
  if (byExtension === 'pdf') return entry.size <= PDF_PREVIEW_BYTES ? 'pdf' : 'none';
  if (byExtension) return byExtension;
  return TEXT_EXTENSIONS.test(entry.name) ? 'text' : 'none';
}
