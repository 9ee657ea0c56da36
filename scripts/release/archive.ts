// The tarball itself (GNU tar for the entries, gzip -9 from zlib) and its SHA-256.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ReleaseError } from './errors.js';

/** Writes `<folder>` of `parent` as a gzip'd tar: entries sorted, owned by root, modes normalised. */
export async function writeTarball(parent: string, folder: string, tarball: string): Promise<void> {
  const args = ['--create', '--format=gnu', '--sort=name', '--owner=0', '--group=0', '--numeric-owner'];
  args.push('--mode=u+rwX,go+rX,go-w', '--directory', parent, folder);
  // Reproducible when the caller pins the time (https://reproducible-builds.org/specs/source-date-epoch/).
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) args.unshift(`--mtime=@${epoch}`);
  const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close' comes after 'error' too (tar missing), so this never rejects unobserved.
  const exited = new Promise<number | null>((resolve) => tar.on('close', resolve));
  const partial = `${tarball}.partial`;
  try {
    await Promise.all([
      pipeline(tar.stdout, createGzip({ level: 9 }), createWriteStream(partial)),
      once(tar, 'spawn'),
    ]);
  } catch (error) {
    rmSync(partial, { force: true });
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'; // spawn's error
    throw new ReleaseError(
      'archive_failed',
      missing ? 'tar is not installed (apt-get install -y tar)' : `writing ${tarball} failed`,
      { cause: error },
    );
  }
  const code = await exited;
  if (code !== 0) {
    rmSync(partial, { force: true });
    throw new ReleaseError('archive_failed', `tar exited with ${code}: ${stderr.trim()}`);
  }
  renameSync(partial, tarball);
}

export async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
