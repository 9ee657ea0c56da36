// State files on disk: owner-only whatever the umask, and one warning for a data dir others can read.

import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, newDataDir, type TestApp } from './support/app.js';

let t: TestApp | undefined;
let previousUmask = 0;
beforeEach(() => {
  previousUmask = process.umask(0);
});
afterEach(async () => {
  process.umask(previousUmask);
  await t?.close();
  t = undefined;
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
const warnings = (logs: string[]) =>
  logs.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((l) => l.level === 40);

describe('state files', () => {
  it('creates homeport.db, and its WAL files 0600 in an existing 0755 data dir, and warns once', async () => {
    const dataDir = newDataDir();
    chmodSync(dataDir, 0o755);
    t = await buildApp({ dataDir });
    await t.login();
    for (const name of ['homeport.db', 'homeport.db-wal', 'homeport.db-shm'])
      expect({ name, mode: modeOf(join(dataDir, name)).toString(8) }).toEqual({ name, mode: '600' });
    const dirWarnings = warnings(t.logs).filter((line) => line.msg.includes('data dir is open'));
    expect(dirWarnings).toHaveLength(1);
    expect(dirWarnings[0]?.msg).toContain(`chmod 700 ${dataDir}`);
  });

  it('says nothing about a data dir only its owner can open', async () => {
    t = await buildApp();
    expect(modeOf(t.dataDir)).toBe(0o700);
    expect(warnings(t.logs).filter((line) => line.msg.includes('data dir'))).toEqual([]);
  });
});
