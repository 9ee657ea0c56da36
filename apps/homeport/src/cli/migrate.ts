// `homeport migrate from-betternas`: imports a betterNAS control plane's database into Homeport's, as a dry
// run unless --apply.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { coreSettings, createLogger, flushLogger } from '@homeport/core';
import { type Command, Option } from 'commander';
import { createHomeport } from '../compose.js';
import { migrateFromBetternas } from '../migrate/betternas.js';
import { readBetternasDatabase } from '../migrate/betternas-source.js';
import { MigrateError } from '../migrate/errors.js';
import { formatReport } from '../migrate/summary.js';
import { configFrom } from './flags.js';

/** A word as a POSIX shell reads it back unchanged: bare when it is safe, else single-quoted. */
const shellWord = (word: string) =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/** The exact command that performs a dry run's plan (absolute paths, so it works from any folder). */
function applyCommandOf(file: string, dataDir: string, options: Record<string, unknown>): string {
  const words = ['homeport', 'migrate', 'from-betternas', '--db', file, '--data-dir', dataDir];
  if (typeof options.config === 'string') words.push('--config', resolve(options.config));
  if (typeof options.admin === 'string') words.push('--admin', options.admin);
  words.push('--apply');
  return words.map(shellWord).join(' ');
}

export async function migrateFromBetternasCommand(options: Record<string, unknown>): Promise<void> {
  const file = resolve(String(options.db));
  // Read and checked before Homeport's database is even opened: a bad file changes nothing.
  const snapshot = readBetternasDatabase(file);
  const config = configFrom(options);
  const dataDir = resolve(config.read(coreSettings).dataDir);
  // Opening would create an empty database; an import is meant for one Homeport made (and gave its admin).
  if (!existsSync(join(dataDir, 'homeport.db'))) {
    throw new MigrateError(
      'target_missing',
      `no Homeport database in ${dataDir}: start Homeport once with this data dir (it creates its database), stop it, then run this again`,
    );
  }
  const log = createLogger({ level: 'error' });
  // The same composition as the server, without listening: every module's migrations are applied first.
  const homeport = await createHomeport({
    config,
    log,
    collectProcessMetrics: false,
    ensureFirstAdmin: false,
  });
  try {
    if (!homeport.modules.some((module) => module.name === 'nas')) {
      throw new MigrateError(
        'target_without_nas',
        'the NAS module is turned off (--modules / HOMEPORT_MODULES); nodes and exports need it',
      );
    }
    const report = await migrateFromBetternas({
      snapshot,
      db: homeport.sqlite(),
      dataDir: homeport.dataDir,
      apply: options.apply === true,
      admin: typeof options.admin === 'string' ? options.admin : undefined,
    });
    const applyCommand = applyCommandOf(file, homeport.dataDir, options);
    if (options.json === true) {
      console.log(JSON.stringify({ ...report, ...(report.dryRun ? { applyCommand } : {}) }, null, 2));
    } else {
      for (const line of formatReport(report, applyCommand)) console.log(line);
    }
  } finally {
    await homeport.close();
    // main may exit right after an error: write out what the batching logger still holds.
    await flushLogger(log);
  }
}

/** Adds `homeport migrate …`; `storeOptions` adds the data-dir and config flags every database command has. */
export function addMigrateCommands(program: Command, storeOptions: (command: Command) => Command): void {
  const migrate = program.command('migrate').description('import another control plane into Homeport');
  storeOptions(
    migrate
      .command('from-betternas')
      .description(
        "import a betterNAS control plane's users, nodes and exports (a dry run that writes nothing, unless --apply)",
      ),
  )
    .addOption(
      new Option(
        '--db <file>',
        "betterNAS's control-plane database (its BETTERNAS_CONTROL_PLANE_DB_PATH); opened read-only",
      ).makeOptionMandatory(),
    )
    .option('--apply', "write the import, after backing up Homeport's database into <data-dir>/backups/")
    .option(
      '--admin <username>',
      'make this imported user an admin (betterNAS has no roles: users become members)',
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Stop betterNAS's control plane and Homeport first. Users keep their passwords (bcrypt, upgraded to argon2id at
their next login); nodes keep their ids and node tokens, so betterNAS agents keep working; sessions are not
imported. Running it again imports only what is new.

Examples:
  homeport migrate from-betternas --db /var/lib/betternas/control-plane.db            # dry run: the plan
  homeport migrate from-betternas --db /var/lib/betternas/control-plane.db --apply --admin alice`,
    )
    .action((options: Record<string, unknown>) => migrateFromBetternasCommand(options));
}
