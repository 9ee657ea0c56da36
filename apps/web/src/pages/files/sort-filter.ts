// Order and filter of a folder's entries: the agent lists them unsorted, the page sorts (folders first, names
// in natural order so "file 2" comes before "file 10") and filters by a part of the name.
import type { FileEntry } from './files-types';

export type SortKey = 'name' | 'size' | 'modified' | 'kind';
export type SortDirection = 'asc' | 'desc';

export interface SortOrder {
  key: SortKey;
  direction: SortDirection;
}

export const DEFAULT_SORT: SortOrder = { key: 'name', direction: 'asc' };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compareBy(key: SortKey, a: FileEntry, b: FileEntry): number {
  switch (key) {
    case 'name':
      return collator.compare(a.name, b.name);
    case 'size':
      return a.size - b.size;
    case 'modified':
      return Date.parse(a.modified) - Date.parse(b.modified);
    case 'kind':
      return collator.compare(kindLabel(a), kindLabel(b));
  }
}

/** A new array: folders before files whatever the direction, then by the key, ties by name. */
export function sortEntries(entries: readonly FileEntry[], order: SortOrder): FileEntry[] {
  const sign = order.direction === 'asc' ? 1 : -1;
  return [...entries].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    const primary = compareBy(order.key, a, b) * sign;
    return primary !== 0 ? primary : collator.compare(a.name, b.name);
  });
}

/** Clicking a column: the same key flips the direction, another starts ascending (newest first for dates). */
export function nextSort(current: SortOrder, key: SortKey): SortOrder {
  if (current.key === key) return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { key, direction: key === 'modified' || key === 'size' ? 'desc' : 'asc' };
}

/** Entries whose name holds `query`, case- and accent-insensitively. */
export function filterEntries(entries: readonly FileEntry[], query: string): FileEntry[] {
  const needle = fold(query.trim());
  if (needle === '') return [...entries];
  return entries.filter((entry) => fold(entry.name).includes(needle));
}

function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** What a person calls the entry: "Folder", or the file's type in words ("PDF", "JPEG image", "File"). */
export function kindLabel(entry: Pick<FileEntry, 'kind' | 'name' | 'type'>): string {
  if (entry.kind === 'folder') return 'Folder';
  const type = entry.type ?? '';
  if (type === 'application/pdf') return 'PDF';
  const [major, minor = ''] = type.split('/');
  const sub = minor.replace(/^x-/, '').split(/[+;]/)[0]?.toUpperCase() ?? '';
  if (major === 'image') return `${sub} image`;
  if (major === 'video') return `${sub} video`;
  if (major === 'audio') return `${sub} audio`;
  if (major === 'text') return type === 'text/plain' ? 'Text' : `${sub} text`;
  const extension = /\.([^.]{1,8})$/.exec(entry.name)?.[1];
  return extension ? `${extension.toUpperCase()} file` : 'File';
}
