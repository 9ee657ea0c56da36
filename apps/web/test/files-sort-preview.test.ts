// The listing's order, filter and kind words, and which preview a file gets (nothing active runs inline).
import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../src/pages/files/files-types';
import { PDF_PREVIEW_BYTES, previewKind } from '../src/pages/files/preview-kind';
import { filterEntries, kindLabel, nextSort, sortEntries } from '../src/pages/files/sort-filter';

const entry = (
  name: string,
  kind: 'file' | 'folder',
  size = 0,
  modified = '2026-01-01T00:00:00Z',
  type = '',
) => ({ name, kind, size, modified, type }) satisfies FileEntry;

const entries = [
  entry('file 10.txt', 'file', 5, '2026-01-03T00:00:00Z', 'text/plain'),
  entry('file 2.txt', 'file', 50, '2026-01-01T00:00:00Z', 'text/plain'),
  entry('Zeta', 'folder'),
  entry('alpha', 'folder'),
  entry('Été.jpg', 'file', 500, '2026-01-02T00:00:00Z', 'image/jpeg'),
];

describe('sorting and filtering', () => {
  it('puts folders first and names in natural, case-insensitive order', () => {
    expect(sortEntries(entries, { key: 'name', direction: 'asc' }).map((e) => e.name)).toEqual([
      'alpha',
      'Zeta',
      'Été.jpg',
      'file 2.txt',
      'file 10.txt',
    ]);
    expect(sortEntries(entries, { key: 'name', direction: 'desc' }).map((e) => e.name)).toEqual([
      'Zeta',
      'alpha',
      'file 10.txt',
      'file 2.txt',
      'Été.jpg',
    ]);
  });

  it('sorts by size, date and kind, folders still first', () => {
    expect(sortEntries(entries, { key: 'size', direction: 'desc' }).map((e) => e.name)).toEqual([
      'alpha',
      'Zeta',
      'Été.jpg',
      'file 2.txt',
      'file 10.txt',
    ]);
    expect(
      sortEntries(entries, { key: 'modified', direction: 'asc' })
        .map((e) => e.name)
        .slice(2),
    ).toEqual(['file 2.txt', 'Été.jpg', 'file 10.txt']);
    expect(
      sortEntries(entries, { key: 'kind', direction: 'asc' })
        .map((e) => e.name)
        .slice(2),
    ).toEqual(['Été.jpg', 'file 2.txt', 'file 10.txt']);
  });

  it('flips the direction on the same column; dates and sizes start newest/largest first', () => {
    expect(nextSort({ key: 'name', direction: 'asc' }, 'name')).toEqual({ key: 'name', direction: 'desc' });
    expect(nextSort({ key: 'name', direction: 'asc' }, 'modified')).toEqual({
      key: 'modified',
      direction: 'desc',
    });
    expect(nextSort({ key: 'size', direction: 'desc' }, 'kind')).toEqual({ key: 'kind', direction: 'asc' });
  });

  it('filters by a part of the name, ignoring case and accents', () => {
    expect(filterEntries(entries, 'ETE').map((e) => e.name)).toEqual(['Été.jpg']);
    expect(filterEntries(entries, ' file ').length).toBe(2);
    expect(filterEntries(entries, '').length).toBe(5);
  });

  it('names kinds in words', () => {
    expect(kindLabel(entry('a', 'folder'))).toBe('Folder');
    expect(kindLabel(entry('a.jpg', 'file', 1, '', 'image/jpeg'))).toBe('JPEG image');
    expect(kindLabel(entry('a.pdf', 'file', 1, '', 'application/pdf'))).toBe('PDF');
    expect(kindLabel(entry('a.bin', 'file', 1, '', 'application/octet-stream'))).toBe('BIN file');
    expect(kindLabel(entry('README', 'file', 1, '', ''))).toBe('File');
  });
});

describe('previews', () => {
  it('shows images, media, PDFs and text; HTML and SVG sources as text or image, never as a page', () => {
    expect(previewKind(entry('a.png', 'file', 1, '', 'image/png'))).toBe('image');
    expect(previewKind(entry('a.svg', 'file', 1, '', 'image/svg+xml'))).toBe('image');
    expect(previewKind(entry('a.mp4', 'file', 1, '', 'video/mp4'))).toBe('video');
    expect(previewKind(entry('a.mp3', 'file', 1, '', 'audio/mpeg'))).toBe('audio');
    expect(previewKind(entry('a.pdf', 'file', 1, '', 'application/pdf'))).toBe('pdf');
    expect(previewKind(entry('a.html', 'file', 1, '', 'text/html'))).toBe('text');
    expect(previewKind(entry('notes.md', 'file', 1, '', 'application/octet-stream'))).toBe('text');
    expect(previewKind(entry('a.exe', 'file', 1, '', 'application/octet-stream'))).toBe('none');
    expect(previewKind(entry('a', 'folder'))).toBe('none');
  });

  it('offers a download instead of loading a huge PDF into memory', () => {
    expect(previewKind(entry('a.pdf', 'file', PDF_PREVIEW_BYTES + 1, '', 'application/pdf'))).toBe('none');
  });
});
