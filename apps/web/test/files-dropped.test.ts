// What a drop or a picker hands the upload queue: folders (empty ones too) and files with the folder each
// goes into, read through readEntries' batches; names the node cannot hold are skipped and named.
import { describe, expect, it } from 'vitest';
import { collectDropped, collectPicked, type DroppedEntry } from '../src/pages/files/dropped-files';

function file(name: string, text = name): DroppedEntry {
  return {
    name,
    isFile: true,
    isDirectory: false,
    file: (success: (f: File) => void) => success(new File([text], name)),
  } as DroppedEntry;
}

/** A folder whose reader answers in batches of two, as Chromium does in batches of 100. */
function folder(name: string, children: DroppedEntry[]): DroppedEntry {
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (success: (entries: DroppedEntry[]) => void) => {
          const batch = children.slice(at, at + 2);
          at += batch.length;
          success(batch);
        },
      };
    },
  } as DroppedEntry;
}

describe('dropped files', () => {
  it('walks folders into folders to create and files with their target folder', async () => {
    const dropped = [
      folder('photos', [
        file('a.jpg'),
        file('b.jpg'),
        file('c.jpg'),
        folder('empty', []),
        folder('2026', [file('d.jpg')]),
      ]),
      file('notes.txt'),
    ];
    const batch = await collectDropped(dropped, '/inbox');
    expect(batch.folders).toEqual(['/inbox/photos', '/inbox/photos/empty', '/inbox/photos/2026']);
    expect(batch.files.map((f) => [f.folder, f.name])).toEqual([
      ['/inbox/photos', 'a.jpg'],
      ['/inbox/photos', 'b.jpg'],
      ['/inbox/photos', 'c.jpg'],
      ['/inbox/photos/2026', 'd.jpg'],
      ['/inbox', 'notes.txt'],
    ]);
    expect(await batch.files[4]?.file.text()).toBe('notes.txt');
    expect(batch.skipped).toEqual([]);
  });

  it('skips names the node cannot hold and files that cannot be read', async () => {
    const unreadable = {
      name: 'gone.txt',
      isFile: true,
      isDirectory: false,
      file: (_: unknown, failure: (error: unknown) => void) => failure(new Error('NotFoundError')),
    } as DroppedEntry;
    const batch = await collectDropped([file('..'), file('a\\b'), unreadable, file('ok')], '/');
    expect(batch.files.map((f) => f.name)).toEqual(['ok']);
    expect(batch.skipped).toEqual(['/..', '/a\\b', '/gone.txt']);
  });

  it('turns a picked folder’s relative paths into folders and files', () => {
    const picked = [
      Object.assign(new File(['1'], 'a.txt'), { webkitRelativePath: 'top/a.txt' }),
      Object.assign(new File(['2'], 'b.txt'), { webkitRelativePath: 'top/sub/b.txt' }),
      Object.assign(new File(['3'], 'c.txt'), { webkitRelativePath: 'top/../c.txt' }),
      new File(['4'], 'plain.txt'),
    ];
    const batch = collectPicked(picked, '/x');
    expect(batch.folders).toEqual(['/x/top', '/x/top/sub']);
    expect(batch.files.map((f) => [f.folder, f.name])).toEqual([
      ['/x/top', 'a.txt'],
      ['/x/top/sub', 'b.txt'],
      ['/x', 'plain.txt'],
    ]);
    expect(batch.skipped).toEqual(['top/../c.txt']);
  });
});
