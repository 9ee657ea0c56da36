// The PUT body writer: 1 MiB writes on the event loop while they are quick, through the thread pool once one is
// not; the file holds exactly the body either way, and a body cut off rejects without leaking its descriptor.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBodyToNewFile } from '../../src/agent/dav/fs/temp-files.js';

afterAll(() => removeTempDirs());

/** 5 MiB and a bit, in chunks of uneven sizes (as a socket gives them), and the whole for comparison. */
function body(): { chunks: Buffer[]; whole: Buffer } {
  const whole = randomBytes(5 * 1024 * 1024 + 123);
  const chunks: Buffer[] = [];
  for (let at = 0, size = 1; at < whole.length; size = (size * 7 + 13) % 70_000) {
    chunks.push(whole.subarray(at, at + size + 1));
    at += size + 1;
  }
  return { chunks, whole };
}

const openDescriptors = () => readdirSync('/proc/self/fd').length;

describe('writeBodyToNewFile', () => {
  it('writes the whole body with writes on the event loop', async () => {
    const folder = tempDir('homeport-put-body-');
    const { chunks, whole } = body();
    await writeBodyToNewFile(Readable.from(chunks), join(folder, 'inline.bin'));
    expect(readFileSync(join(folder, 'inline.bin')).equals(whole)).toBe(true);
  });

  it('writes the whole body once writes have moved to the thread pool', async () => {
    const folder = tempDir('homeport-put-body-');
    const { chunks, whole } = body();
    // A budget no write can meet: the first write is made inline, every later one in the thread pool.
    await writeBodyToNewFile(Readable.from(chunks), join(folder, 'pool.bin'), { inlineBudgetMs: -1 });
    expect(readFileSync(join(folder, 'pool.bin')).equals(whole)).toBe(true);
  });

  it('writes an empty body as an empty file', async () => {
    const folder = tempDir('homeport-put-body-');
    await writeBodyToNewFile(Readable.from([]), join(folder, 'empty.bin'));
    expect(readFileSync(join(folder, 'empty.bin')).length).toBe(0);
  });

  it('refuses a file that exists', async () => {
    const folder = tempDir('homeport-put-body-');
    writeFileSync(join(folder, 'taken.bin'), 'old');
    await expect(
      writeBodyToNewFile(Readable.from([Buffer.from('new')]), join(folder, 'taken.bin')),
    ).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(folder, 'taken.bin'), 'utf8')).toBe('old');
  });

  for (const [mode, inlineBudgetMs] of [
    ['inline', 1_000_000],
    ['in the thread pool', -1],
  ] as const) {
    it(`rejects a body cut off mid-way, writes ${mode}, and closes the file`, async () => {
      const folder = tempDir('homeport-put-body-');
      const before = openDescriptors();
      const stream = new PassThrough();
      const written = writeBodyToNewFile(stream, join(folder, 'cut.bin'), { inlineBudgetMs });
      // Three megabytes: at least one write is made (or in flight) when the body is cut off.
      for (let i = 0; i < 3; i += 1) stream.write(randomBytes(1024 * 1024));
      stream.destroy();
      await expect(written).rejects.toThrow(/closed the connection|premature/i);
      expect(openDescriptors()).toBe(before);
    });
  }
});
