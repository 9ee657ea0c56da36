// `homeport backup create|restore`: declared here; the work (backup/backup.ts) is imported when one runs.

import { join, resolve } from 'node:path';
import type { Command } from 'commander';

export function addBackupCommands(program: Command, storeOptions: (command: Command) => Command): void {
  const backup = program
    .command('backup')
    .description("one archive of a Homeport's state (SQLite or NATS KV), with checksums verified on restore");
  storeOptions(
    backup
      .command('create')
      .description(
        'write a snapshot while Homeport runs (SQLite online backup, or every KV bucket), with checksums',
      ),
  )
    .option('--to <file>', 'the archive to write (default: <data-dir>/backups/homeport-backup-<UTC>.tar.gz)')
    .addHelpText(
      'after',
      `
On SQLite the archive holds homeport.db, secrets/, the embedded agent's state and the managed nats-server's
identities. On NATS KV (HOMEPORT_STORE=kv, the same settings as \`homeport start\`) it holds every bucket of
Homeport's, each entry as stored (the secrets sealed with HOMEPORT_SECRET_KEY), and the embedded agent's
state. Either way a manifest of SHA-256 checksums comes first; the archive is written 0600 (it holds password
hashes and secrets). The exported folders themselves (<data-dir>/files) and the bus's message history
(JetStream streams) are not in it.

Examples:
  homeport backup create --data-dir /var/lib/homeport
  homeport backup create --data-dir /var/lib/homeport --to /mnt/backups/homeport.tar.gz
  homeport backup create --config /etc/homeport/homeport.yaml   (a KV replica's config: store, NATS, secret key)`,
    )
    .action(async (options: Record<string, unknown>) => {
      const { runBackupCreate } = await import('./backup-run.js');
      await runBackupCreate(options);
    });
  storeOptions(
    backup
      .command('restore')
      .argument('<file>', 'an archive from `homeport backup create`')
      .description('check an archive (every checksum, the database) and put its state into the data dir'),
  )
    .option(
      '--force',
      'replace the state of a data dir that has one (moved to <data-dir>/backups/replaced-<UTC>)',
    )
    .addHelpText(
      'after',
      `
Stop Homeport first: restore refuses while a process has the data dir's database open or, on NATS KV, while
any replica runs on the store. Nothing is changed unless every file matches its checksum. On NATS KV, --force
first writes an archive of what the store held, then brings every bucket to the backup's entries; it needs
the HOMEPORT_SECRET_KEY the backup was taken with.

Examples:
  homeport backup restore homeport-backup-20261201T101500Z.tar.gz --data-dir /var/lib/homeport
  homeport backup restore backup.tar.gz --data-dir /var/lib/homeport --force
  homeport backup restore backup.tar.gz --config /etc/homeport/homeport.yaml --force   (a KV replica's config)`,
    )
    .action(async (file: string, options: Record<string, unknown>) => {
      const { runBackupRestore } = await import('./backup-run.js');
      await runBackupRestore(resolve(file), options);
    });
}

/** The default archive path for a data dir at a time. */
export function defaultArchive(dataDir: string, stampText: string): string {
  return join(dataDir, 'backups', `homeport-backup-${stampText}.tar.gz`);
}
