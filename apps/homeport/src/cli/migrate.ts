// `homeport migrate from-betternas`: imports a betterNAS control plane's database into Homeport's, as a dry
// run unless --apply. `homeport migrate to-kv`: copies a SQLite Homeport into NATS JetStream KV.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { coreSettings, createLogger, flushLogger } from '@homeport/core';
import { type Command, Option } from 'commander';
import { createHomeport, moduleCatalogue } from '../compose.js';
import { migrateFromBetternas } from '../migrate/betternas.js';
import { readBetternasDatabase } from '../migrate/betternas-source.js';
import { MigrateError } from '../migrate/errors.js';
import { formatReport } from '../migrate/summary.js';
import { migrateToKv } from '../migrate/to-kv.js';
import { homeportModuleSchemas, toKvOptions } from '../migrate/to-kv-options.js';
import { kindLine, summaryLines } from '../migrate/to-kv-report.js';
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
    // The import touches accounts and NAS only; the bus would start a nats-server for nothing.
    catalogue: moduleCatalogue().filter((module) => module.name !== 'bus'),
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

/**
 * `homeport migrate to-kv`: progress lines as each kind is copied (stdout; stderr with --json, which keeps
 * stdout for the report), then the verdict. A failed parity check exits non-zero after the report.
 */
export async function migrateToKvCommand(options: Record<string, unknown>): Promise<void> {
  const settings = toKvOptions(options, process.env);
  const json = options.json === true;
  const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const log = createLogger({ level: 'error' });
  try {
    const report = await migrateToKv({
      ...settings,
      schemas: homeportModuleSchemas(),
      log,
      onBackup: (file) => say(`backup: ${file}`),
      onKind: (kind) => say(kindLine(kind)),
    });
    if (json) console.log(JSON.stringify(report, null, 2));
    else for (const line of summaryLines(report)) console.log(line);
    if (!report.parity.ok) {
      throw new MigrateError('parity_failed', `parity check failed: ${report.parity.difference}`);
    }
  } finally {
    // main may exit right after an error: write out what the batching logger still holds.
    await flushLogger(log);
  }
}

/** Adds `homeport migrate …`; `storeOptions` adds the data-dir and config flags every database command has. */
export function addMigrateCommands(program: Command, storeOptions: (command: Command) => Command): void {
  const migrate = program
    .command('migrate')
    .description('import another control plane into Homeport, or move Homeport from SQLite to KV');
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

  migrate
    .command('to-kv')
    .description(
      'copy a SQLite Homeport (every module, and its generated secrets) into NATS JetStream KV, then check both hold the same',
    )
    .addOption(
      new Option(
        '--db <file>',
        "the SQLite Homeport's database (<data-dir>/homeport.db); only read",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--nats-url <urls>',
        'the NATS server(s) the KV replicas will use; plaintext nats:// only on loopback (else tls:// or --ca)',
      ).makeOptionMandatory(),
    )
    .option('--creds <file>', 'credentials file (user JWT + seed) for that NATS')
    .option('--ca <file>', "PEM CA that signed the NATS server's certificate (makes TLS required)")
    .option('--replicas <n>', 'copies of each bucket: 1 on one server, 3 on a three-node cluster', '1')
    .option('--no-backup', 'skip the VACUUM INTO backup taken first (into <folder of --db>/backups/)')
    .option(
      '--secret-key-file <file>',
      'file holding the secret key that seals the secrets in KV (default: HOMEPORT_SECRET_KEY); the replicas need the same key',
    )
    .option('--json', 'print the report as JSON (progress lines go to stderr)')
    .addHelpText(
      'after',
      `
Stop Homeport first. The database is only read; a backup of it is written first (homeport-before-kv-<UTC time>.db,
owner-only). Each kind of record is copied with its ids (users, sessions, API tokens, OIDC identities and
sessions, login attempts, auth settings; nodes, exports, grants, mount credentials and their revocations, the
revocation counter, NAS settings), then the generated secrets, sealed with the secret key. Running it again
changes only what differs. It ends by comparing every record of both stores and prints the first difference
(exit 1) if there is one.

A Homeport that ran without HOMEPORT_SECRET_KEY generated its own key into <data-dir>/secrets/secret-key: pass
that file, and give its contents to the replicas as HOMEPORT_SECRET_KEY, so what it sealed still opens.

Examples:
  HOMEPORT_SECRET_KEY=… homeport migrate to-kv --db /var/lib/homeport/homeport.db --nats-url nats://127.0.0.1:4222
  homeport migrate to-kv --db /var/lib/homeport/homeport.db \\
      --secret-key-file /var/lib/homeport/secrets/secret-key \\
      --nats-url tls://nats1:4222,tls://nats2:4222,tls://nats3:4222 \\
      --creds /etc/homeport/homeport.creds --ca /etc/homeport/nats-ca.pem --replicas 3
  homeport migrate to-kv --db ./homeport-data/homeport.db --nats-url nats://127.0.0.1:4222 --json > report.json`,
    )
    .action((options: Record<string, unknown>) => migrateToKvCommand(options));
}
