// The backup archive's tar reader refuses what could write outside its folder or is not a plain file.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { extractTar, headerBlock } from '../src/backup/tar.js';

/** A header for `name` with its checksum recomputed (headerBlock itself refuses unsafe names). */
function rawHeader(name: string, size: number): Buffer {
  const block = headerBlock({ name: 'placeholder', kind: 'file', size, mode: 0o600, mtime: 0 });
  block.fill(0, 0, 100);
  block.write(name, 0, 100, 'utf8');
  block.write('        ', 148, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

const archive = (...parts: Buffer[]) => Readable.from([Buffer.concat([...parts, Buffer.alloc(1024)])]);
const body = (text: string) => {
  const data = Buffer.alloc(512);
  data.write(text);
  return data;
};

describe('backup tar reader', () => {
  it('reads what system tar writes and extracts files 0600', async () => {
    const source = tempDir('homeport-tar-src-');
    mkdirSync(join(source, 'secrets'));
    writeFileSync(join(source, 'secrets', 'a'), 'alpha');
    writeFileSync(join(source, 'homeport.db'), 'x'.repeat(1500));
    const tar = execFileSync('tar', ['-C', source, '-cf', '-', 'homeport.db', 'secrets']);
    const into = tempDir('homeport-tar-out-');
    const entries = await extractTar(Readable.from([tar]), into);
    expect(entries.map((entry) => entry.name).sort()).toEqual(['homeport.db', 'secrets', 'secrets/a']);
    expect(readFileSync(join(into, 'secrets', 'a'), 'utf8')).toBe('alpha');
    expect(readFileSync(join(into, 'homeport.db'), 'utf8')).toBe('x'.repeat(1500));
  });

  it('refuses names that climb out, absolute names, links, duplicates and a cut archive', async () => {
    for (const name of ['../evil', 'a/../../evil', '/etc/evil', 'a//b', './a']) {
      const into = tempDir('homeport-tar-out-');
      await expect(extractTar(archive(rawHeader(name, 4), body('evil')), into)).rejects.toThrow(
        /unsafe name/,
      );
      expect(readdirSync(into)).toEqual([]);
    }
    const source = tempDir('homeport-tar-src-');
    symlinkSync('/etc/passwd', join(source, 'link'));
    const linked = execFileSync('tar', ['-C', source, '-cf', '-', 'link']);
    await expect(extractTar(Readable.from([linked]), tempDir('homeport-tar-out-'))).rejects.toThrow(
      /neither a file nor a folder/,
    );
    const twice = archive(rawHeader('a', 1), body('1'), rawHeader('a', 1), body('2'));
    await expect(extractTar(twice, tempDir('homeport-tar-out-'))).rejects.toThrow(/appears twice/);
    const cut = Readable.from([Buffer.concat([rawHeader('a', 2000), Buffer.alloc(512)])]);
    await expect(extractTar(cut, tempDir('homeport-tar-out-'))).rejects.toThrow(/ends early/);
    const garbage = Readable.from([Buffer.alloc(512, 7)]);
    await expect(extractTar(garbage, tempDir('homeport-tar-out-'))).rejects.toThrow(/not a tar archive/);
  });
});
