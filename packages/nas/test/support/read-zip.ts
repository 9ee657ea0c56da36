// Reads a ZIP archive with tools that are not ours: python3's zipfile (entries, CRC check, contents' SHA-256)
// and Info-ZIP's `unzip -t`, so a test of our writer is judged by independent readers.

import { execFileSync } from 'node:child_process';
import { requireCommand } from '@homeport/testkit';

export interface ZipEntryInfo {
  name: string;
  size: number;
  crc: number;
  folder: boolean;
  /** [year, month, day, hour, minute, second] of the DOS time. */
  dateTime: number[];
  sha256: string;
  /** The Unix mode from the external attributes. */
  mode: number;
}

export interface ZipReading {
  entries: ZipEntryInfo[];
  /** zipfile's testzip(): the first entry whose CRC is wrong, or null. */
  badEntry: string | null;
}

const READER = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    entries = []
    for info in archive.infolist():
        digest = hashlib.sha256()
        with archive.open(info) as data:
            for chunk in iter(lambda: data.read(1 << 20), b''):
                digest.update(chunk)
        entries.append({'name': info.filename, 'size': info.file_size, 'crc': info.CRC,
                        'folder': info.is_dir(), 'dateTime': list(info.date_time),
                        'sha256': digest.hexdigest(), 'mode': info.external_attr >> 16})
    print(json.dumps({'entries': entries, 'badEntry': archive.testzip()}))
`;

/** Every entry of the archive at `path` as python3's zipfile reads it (which also checks each CRC). */
export function readZipWithPython(path: string): ZipReading {
  const python = requireCommand('python3', 'python3');
  const output = execFileSync(python, ['-c', READER, path], { maxBuffer: 512 * 1024 * 1024 });
  return JSON.parse(output.toString('utf8')) as ZipReading;
}

/** Runs `unzip -tq` on the archive (tests every entry's CRC); returns its output, throws if it fails. */
export function testZipWithUnzip(path: string): string {
  const unzip = requireCommand('unzip', 'unzip');
  return execFileSync(unzip, ['-tq', path], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
}
