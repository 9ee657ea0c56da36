// The flags of `homeport migrate to-kv` turned into the migration's options, with every refusal that needs
// no I/O made here: a plaintext NATS URL to another machine, a missing or short secret key, a bad --replicas.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { accountsMigrations, accountsSettings } from '@homeport/accounts';
import {
  assertNatsConfig,
  Config,
  ConfigError,
  coreSettings,
  natsSettings,
  SettingProblem,
} from '@homeport/core';
import { moduleCatalogue } from '../compose.js';
import { MigrateError } from './errors.js';
import type { ModuleSchema } from './to-kv-source.js';

export interface ToKvOptions {
  database: string;
  nats: Config;
  replicas: number;
  backup: boolean;
  secretKey: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The secret key: --secret-key-file wins over HOMEPORT_SECRET_KEY; checked by the setting's own rule. */
function secretKeyOf(file: string | undefined, env: NodeJS.ProcessEnv, database: string): string {
  let raw: string | undefined;
  let origin = 'HOMEPORT_SECRET_KEY';
  if (file !== undefined) {
    origin = `--secret-key-file ${file}`;
    try {
      raw = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new MigrateError(
        'secret_key_missing',
        `${origin}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        { cause: error },
      );
    }
  } else raw = env.HOMEPORT_SECRET_KEY;
  if (raw === undefined || raw === '') {
    throw new MigrateError(
      'secret_key_missing',
      `a secret key is required: on KV the generated secrets are sealed with it, and every replica needs the same one. Set HOMEPORT_SECRET_KEY or pass --secret-key-file (a Homeport that generated its own keeps it in ${join(dirname(database), 'secrets', 'secret-key')})`,
    );
  }
  let key: string | undefined;
  try {
    key = accountsSettings.secretKey.parse(raw);
  } catch (error) {
    if (!(error instanceof SettingProblem)) throw error;
    throw new MigrateError('secret_key_missing', `${origin}: ${error.message}`, { cause: error });
  }
  // The setting's type allows "unset"; its parser returns the text it accepted.
  return key ?? raw;
}

/**
 * Reads commander's options (`db`, `natsUrl`, `creds`, `ca`, `replicas`, `backup`, `secretKeyFile`). Throws
 * ConfigError for NATS settings core refuses, MigrateError for the secret key.
 */
export function toKvOptions(options: Record<string, unknown>, env: NodeJS.ProcessEnv): ToKvOptions {
  const database = resolve(String(options.db));
  const creds = text(options.creds);
  const ca = text(options.ca);
  // Only the flags: the command copies to the server named on its command line, whatever the environment says.
  const nats = new Config({
    flags: {
      'nats-url': String(options.natsUrl),
      ...(creds === undefined ? {} : { 'nats-creds': resolve(creds) }),
      ...(ca === undefined ? {} : { 'nats-ca': resolve(ca) }),
    },
  });
  // Core's own rule, as `homeport start` applies it: plaintext NATS only on loopback.
  assertNatsConfig(nats.read(natsSettings));
  let replicas: number;
  try {
    replicas = coreSettings.kvReplicas.parse(text(options.replicas) ?? '1');
  } catch (error) {
    if (!(error instanceof SettingProblem)) throw error;
    throw new ConfigError([`--replicas ${error.message}`]);
  }
  return {
    database,
    nats,
    replicas,
    backup: options.backup !== false,
    secretKey: secretKeyOf(text(options.secretKeyFile), env, database),
  };
}

/** Every module of this Homeport with its migrations: the schema the database must be at. */
export function homeportModuleSchemas(): ModuleSchema[] {
  return [
    { name: 'accounts', migrations: accountsMigrations },
    ...moduleCatalogue().map((module) => ({ name: module.name, migrations: module.migrations })),
  ];
}
