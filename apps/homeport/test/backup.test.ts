// `homeport backup create` while Homeport runs, then wipe, `restore`, start again: every user, session,
// export, grant and setting is back. And what restore refuses: a damaged archive (before writing anything),
// a data dir in use, a data dir with a Homeport without --force.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { freePort, type HomeportInstance, startHomeport, tempDir } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { expectRestored, readState, runHomeport, seedState } from './support/backup-scenario.js';

const homeport = (args: string[]) => runHomeport(args);

let running: HomeportInstance | undefined;
afterEach(async () => {
  await running?.process.stop();
  running = undefined;
});

const start = async (dataDir: string) =>
  startHomeport({ dataDir, env: { HOMEPORT_DAV_PORT: String(await freePort()) } });

describe('homeport backup', () => {
  it('create while running → wipe → restore: users, sessions, exports, grants and settings are back', async () => {
    const dataDir = join(tempDir('homeport-backup-'), 'data');
    running = await start(dataDir);
    const seeded = await seedState(running);
    const before = await readState(running, seeded);

    const archive = join(tempDir('homeport-backup-out-'), 'backup.tar.gz');
    const created = await homeport(['backup', 'create', '--data-dir', dataDir, '--to', archive]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const listing = await new Promise<string>((resolve) =>
      execFile('tar', ['-tzf', archive], (_error, stdout) => resolve(stdout)),
    );
    expect(listing.split('\n')).toEqual(
      expect.arrayContaining(['manifest.json', 'homeport.db', 'secrets/dav-auth-secret', 'agent/agent.json']),
    );

    await running.process.stop();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
    const restored = await homeport(['backup', 'restore', archive, '--data-dir', dataDir]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('every checksum matched');
    expect(statSync(join(dataDir, 'homeport.db')).mode & 0o777).toBe(0o600);

    running = await start(dataDir);
    await expectRestored(running, seeded, before);

    // Restoring over the running instance is refused, even with --force; nothing changes.
    const busy = await homeport(['backup', 'restore', archive, '--data-dir', dataDir, '--force']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/^homeport: a running process has this data dir's database open \(pid \d+/);
  }, 120_000);

  it('refuses a damaged archive before writing anything, and a data dir with a Homeport without --force', async () => {
    const dataDir = join(tempDir('homeport-backup-'), 'data');
    running = await start(dataDir);
    const archive = join(tempDir('homeport-backup-out-'), 'backup.tar.gz');
    expect((await homeport(['backup', 'create', '--data-dir', dataDir, '--to', archive])).code).toBe(0);
    expect((await homeport(['backup', 'create', '--data-dir', dataDir, '--to', archive])).stderr).toContain(
      'exists; give another --to',
    );
    await running.process.stop();
    running = undefined;

    // One byte of the main database changed (inside the tar, re-compressed): its checksum no longer matches.
    const tar = gunzipSync(readFileSync(archive));
    const header = tar.indexOf(Buffer.from('homeport.db\0'));
    const at = tar.indexOf(Buffer.from('SQLite format 3'), header) + 200;
    tar[at] = (tar[at] ?? 0) ^ 0xff;
    const damaged = join(tempDir('homeport-backup-out-'), 'damaged.tar.gz');
    writeFileSync(damaged, gzipSync(tar));
    const target = join(tempDir('homeport-restore-'), 'data');
    const refused = await homeport(['backup', 'restore', damaged, '--data-dir', target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'homeport: homeport.db does not match its checksum: the archive is damaged',
    );
    expect(readdirSync(target)).toEqual([]);
    expect(readdirSync(join(target, '..')).filter((name) => name.includes('restore'))).toEqual([]);

    const truncated = join(tempDir('homeport-backup-out-'), 'truncated.tar.gz');
    writeFileSync(truncated, gzipSync(tar.subarray(0, tar.length / 2)));
    const cut = await homeport(['backup', 'restore', truncated, '--data-dir', target]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/is not a readable backup/);
    expect(readdirSync(target)).toEqual([]);

    const occupied = await homeport(['backup', 'restore', archive, '--data-dir', dataDir]);
    expect(occupied.code).toBe(1);
    expect(occupied.stderr).toContain("already holds a Homeport's state; --force replaces it");
    const forced = await homeport(['backup', 'restore', archive, '--data-dir', dataDir, '--force']);
    expect(forced.code).toBe(0);
    const aside = /what was there before is in (\S+)/.exec(forced.stdout)?.[1];
    expect(aside && existsSync(join(aside, 'homeport.db'))).toBe(true);
  }, 120_000);
});
