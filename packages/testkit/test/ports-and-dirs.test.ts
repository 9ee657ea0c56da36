// freePort and tempDir: the two resources every started server needs.

import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, removeTempDirs, tempDir } from '../src/index.js';

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1 right away', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('tempDir', () => {
  it('creates a fresh folder under os.tmpdir() that removeTempDirs() deletes', () => {
    const first = tempDir('testkit-dir-');
    const second = tempDir('testkit-dir-');
    expect(first).not.toBe(second);
    expect(dirname(first)).toBe(tmpdir());
    expect(basename(first).startsWith('testkit-dir-')).toBe(true);
    expect(statSync(first).isDirectory()).toBe(true);

    removeTempDirs();
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second)).toBe(false);
  });
});
