// What `homeport migrate from-betternas` and `homeport migrate to-kv` run (migrate.ts declares them): loaded
// only by those commands, with the betterNAS reader and the KV copy under them.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { coreSettings, createLogger, flushLogger } from '@homeport/core';
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
