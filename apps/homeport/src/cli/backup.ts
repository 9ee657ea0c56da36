// `homeport backup create|restore`: declared here; the work (backup/backup.ts) is imported when one runs.

import { join, resolve } from 'node:path';
import type { Command } from 'commander';

export function addBackupCommands(program: Command, storeOptions: (command: Command) => Command): void {
  const backup = program
    .command('backup')
    .description('one archive of a SQLite Homeport (database, secrets, agent state), checked on restore');
  storeOptions(
    backup
      .command('create')
      .description('write a consistent snapshot while Homeport runs (SQLite online backup), with checksums'),
  )
    .option('--to <file>', 'the archive to write (default: <data-dir>/backups/homeport-backup-<UTC>.tar.gz)')
    .addHelpText(
      'after',
      `
The archive holds homeport.db, secrets/, the embedded agent's state and the managed nats-server's identities,
with a manifest of SHA-256 checksums; it is written 0600 (it holds password hashes and secrets). The exported
folders themselves (<data-dir>/files) and the bus's message history (JetStream) are not in it.

Examples:
  homeport backup create --data-dir /var/lib/homeport
  homeport backup create --data-dir /var/lib/homeport --to /mnt/backups/homeport.tar.gz`,
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
Stop Homeport first: restore refuses while a process has the data dir's database open. Nothing is changed
unless every file matches its checksum.

Examples:
  homeport backup restore homeport-backup-20261201T101500Z.tar.gz --data-dir /var/lib/homeport
  homeport backup restore backup.tar.gz --data-dir /var/lib/homeport --force`,
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
