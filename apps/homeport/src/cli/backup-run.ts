// What `homeport backup create|restore` run (declared in backup.ts).

import { resolve } from 'node:path';
import { coreSettings } from '@homeport/core';
import { createBackup, restoreBackup, stamp } from '../backup/backup.js';
import { BackupError } from '../backup/errors.js';
import { VERSION } from '../version.js';
import { defaultArchive } from './backup.js';
import { configFrom } from './flags.js';

function sqliteDataDir(options: Record<string, unknown>): string {
  const settings = configFrom(options).read(coreSettings);
  if (settings.store === 'kv')
    throw new BackupError(
      'kv_store',
      'this Homeport keeps its state in NATS KV: back its buckets up with `nats stream backup` (docs/cluster.md, "Backups")',
    );
  return resolve(settings.dataDir);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function runBackupCreate(options: Record<string, unknown>): Promise<void> {
  const dataDir = sqliteDataDir(options);
  const to =
    typeof options.to === 'string' ? resolve(options.to) : defaultArchive(dataDir, stamp(Date.now()));
  const manifest = await createBackup({ dataDir, to, homeportVersion: VERSION });
  const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
  console.log(`wrote ${to}: ${manifest.files.length} files, ${mib(total)} before compression`);
  for (const file of manifest.files) console.log(`  ${file.name}  ${file.size} bytes  sha256 ${file.sha256}`);
}

export async function runBackupRestore(archive: string, options: Record<string, unknown>): Promise<void> {
  const dataDir = sqliteDataDir(options);
  const result = await restoreBackup({ archive, dataDir, force: options.force === true });
  const { manifest } = result;
  console.log(
    `restored ${manifest.files.length} files into ${dataDir} from the backup of ${manifest.createdAt} (Homeport ${manifest.homeportVersion}); every checksum matched`,
  );
  if (result.movedAside) console.log(`what the data dir held before is in ${result.movedAside}`);
}
