// What a person dropped or picked, as folders to create and files to upload: a dropped folder is walked
// through the File System entries API (webkitGetAsEntry), a folder picked with <input webkitdirectory>
// comes as files carrying their relative path. Names that cannot exist on the node are refused here.
import { isPlainName, joinPath, pathOf, segmentsOf } from './file-paths';
import type { UploadBatch, UploadFile } from './upload-queue';

/** The parts of FileSystemEntry the walk uses (a fake in tests). */
export interface DroppedEntry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
}
export interface DroppedFileEntry extends DroppedEntry {
  file(success: (file: File) => void, failure?: (error: unknown) => void): void;
}
export interface DroppedDirectoryEntry extends DroppedEntry {
  createReader(): {
    readEntries(success: (entries: DroppedEntry[]) => void, failure?: (error: unknown) => void): void;
  };
}

export interface CollectedBatch extends UploadBatch {
  /** Items left out: a name the node cannot hold, or one that could not be read. */
  skipped: string[];
}

/** The most entries one drop may hold: a drop of a whole disk would hang the tab walking it. */
export const MAX_DROPPED_ENTRIES = 50_000;

/** Walks the dropped entries into `folder`: each folder to create, each file with the folder it goes into. */
export async function collectDropped(
  entries: readonly DroppedEntry[],
  folder: string,
): Promise<CollectedBatch> {
  const batch = { folders: [] as string[], files: [] as UploadFile[], skipped: [] as string[] };
  let seen = 0;
  const walk = async (entry: DroppedEntry, into: string): Promise<void> => {
    seen += 1;
    if (seen > MAX_DROPPED_ENTRIES) {
      batch.skipped.push(joinPath(into, entry.name));
      return;
    }
    if (!isPlainName(entry.name)) {
      batch.skipped.push(`${into === '/' ? '' : into}/${entry.name}`);
      return;
    }
    const path = joinPath(into, entry.name);
    if (entry.isDirectory && isDirectory(entry)) {
      batch.folders.push(path);
      let children: DroppedEntry[];
      try {
        children = await readAll(entry);
      } catch {
        // An unreadable folder (permissions): say so, and go on with the rest.
        batch.skipped.push(path);
        return;
      }
      for (const child of children) await walk(child, path);
    } else if (entry.isFile && isFile(entry)) {
      try {
        const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
        batch.files.push({ folder: into, name: entry.name, file });
      } catch {
        // A file that vanished or cannot be read since the drop: listed as skipped.
        batch.skipped.push(path);
      }
    }
  };
  for (const entry of entries) await walk(entry, folder);
  return batch;
}

/** readEntries answers in batches (100 at a time in Chromium) until an empty one. */
async function readAll(directory: DroppedDirectoryEntry): Promise<DroppedEntry[]> {
  const reader = directory.createReader();
  const all: DroppedEntry[] = [];
  for (;;) {
    const batch = await new Promise<DroppedEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function isDirectory(entry: DroppedEntry): entry is DroppedDirectoryEntry {
  return 'createReader' in entry;
}

function isFile(entry: DroppedEntry): entry is DroppedFileEntry {
  return 'file' in entry;
}

/** Files from a picker: plain files go into `folder`; a picked folder's files carry `webkitRelativePath`. */
export function collectPicked(
  files: readonly (Blob & { name: string; webkitRelativePath?: string })[],
  folder: string,
): CollectedBatch {
  const batch = { folders: [] as string[], files: [] as UploadFile[], skipped: [] as string[] };
  const folders = new Set<string>();
  for (const file of files) {
    const relative = file.webkitRelativePath ? file.webkitRelativePath.split('/') : [file.name];
    if (!relative.every(isPlainName)) {
      batch.skipped.push(relative.join('/'));
      continue;
    }
    const parents = relative.slice(0, -1);
    for (let depth = 1; depth <= parents.length; depth += 1) {
      folders.add(pathOf([...segmentsOf(folder), ...parents.slice(0, depth)]));
    }
    batch.files.push({
      folder: pathOf([...segmentsOf(folder), ...parents]),
      name: relative.at(-1) ?? file.name,
      file,
    });
  }
  batch.folders.push(...folders);
  return batch;
}
