// What `homeport backup create|restore` run (declared in backup.ts). On HOMEPORT_STORE=kv the buckets are read
// and written through the NATS connection `homeport start` would open (the managed server is started for the
// time of the command when Homeport manages it).

import { resolve } from 'node:path';
import { accountsSettings } from '@homeport/accounts';
import { type Config, coreSettings, createLogger, flushLogger, openNats } from '@homeport/core';
import { createBackup, restoreBackup, stamp } from '../backup/backup.js';
import { BackupError } from '../backup/errors.js';
import type { KvSide } from '../backup/kv.js';
import { moduleCatalogue } from '../compose.js';
import { VERSION } from '../version.js';
import { defaultArchive } from './backup.js';
import { configFrom } from './flags.js';

/** Runs `work` with the data dir and, on a KV store, an open connection to it (closed after). */
async function withStore<T>(
  options: Record<string, unknown>,
  work: (dataDir: string, kv: KvSide | undefined) => Promise<T>,
): Promise<T> {
  const config: Config = configFrom(options);
  const settings = config.read(coreSettings);
  const dataDir = resolve(settings.dataDir);
  if (settings.store !== 'kv') return work(dataDir, undefined);
  const secretKey = config.read(accountsSettings).secretKey;
  if (secretKey === undefined)
    throw new BackupError(
      'secret_key_missing',
      'HOMEPORT_STORE=kv needs HOMEPORT_SECRET_KEY (the key every replica runs with): the secrets in the store are sealed with it',
    );
  const log = createLogger({ level: 'error' });
  const nats = await openNats(config, { dataDir, log, secretKey });
  if (nats.state === 'off') throw new BackupError('store_unavailable', `HOMEPORT_STORE=kv ${nats.reason}`);
  try {
    const modules = ['core', 'accounts', ...moduleCatalogue().map((module) => module.name)];
    return await work(dataDir, { nats, modules, secretKey, replicas: settings.kvReplicas });
  } finally {
    await nats.close();
    await flushLogger(log);
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function runBackupCreate(options: Record<string, unknown>): Promise<void> {
  await withStore(options, async (dataDir, kv) => {
    const to =
      typeof options.to === 'string' ? resolve(options.to) : defaultArchive(dataDir, stamp(Date.now()));
    const manifest = await createBackup({ dataDir, to, homeportVersion: VERSION, ...(kv ? { kv } : {}) });
    const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
    console.log(`wrote ${to}: ${manifest.files.length} files, ${mib(total)} before compression`);
    for (const bucket of manifest.kv?.buckets ?? [])
      console.log(`  bucket ${bucket.bucket}  ${bucket.entries} entries`);
    for (const file of manifest.files)
      console.log(`  ${file.name}  ${file.size} bytes  sha256 ${file.sha256}`);
  });
}

export async function runBackupRestore(archive: string, options: Record<string, unknown>): Promise<void> {
  await withStore(options, async (dataDir, kv) => {
    const result = await restoreBackup({
      archive,
      dataDir,
      force: options.force === true,
      homeportVersion: VERSION,
      ...(kv ? { kv } : {}),
    });
    const { manifest } = result;
    const buckets = manifest.kv ? ` and ${manifest.kv.buckets.length} KV buckets` : '';
    console.log(
      `restored ${manifest.files.length} files${buckets} into ${kv ? 'the NATS KV store and ' : ''}${dataDir} from the backup of ${manifest.createdAt} (Homeport ${manifest.homeportVersion}); every checksum matched`,
    );
    if (result.movedAside) console.log(`what was there before is in ${result.movedAside}`);
  });
}
