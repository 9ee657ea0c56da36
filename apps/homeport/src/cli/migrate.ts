// `homeport migrate from-betternas`: imports a betterNAS control plane's database into Homeport's, as a dry
// run unless --apply. `homeport migrate to-kv`: copies a SQLite Homeport into NATS JetStream KV. The commands
// are declared here; what they run is in migrate-run.ts, imported when one runs.

import { type Command, Option } from 'commander';

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
    .action(async (options: Record<string, unknown>) =>
      (await import('./migrate-run.js')).migrateFromBetternasCommand(options),
    );

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
    .action(async (options: Record<string, unknown>) =>
      (await import('./migrate-run.js')).migrateToKvCommand(options),
    );
}
