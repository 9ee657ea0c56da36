// Where a proxy worker's code is and what environment it gets.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry {
  exec: string;
  execArgv: string[];
}

/**
 * From the sources (tests, `node --import tsx`): the TypeScript entry beside this module, loaded through tsx.
 * In the bundle: dist/proxy-worker.js (an entry of build.mjs), beside this code or one folder up when this
 * code was split into dist/chunks/.
 */
export function defaultProxyWorkerEntry(): WorkerEntry {
  const here = dirname(fileURLToPath(import.meta.url));
  if (import.meta.url.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return { exec: join(here, 'proxy-worker.ts'), execArgv: ['--import', tsx] };
  }
  const candidates = [join(here, 'proxy-worker.js'), join(here, '..', 'proxy-worker.js')];
  const exec = candidates.find((candidate) => existsSync(candidate));
  if (exec === undefined)
    throw new Error(
      `the proxy worker entry proxy-worker.js is missing (looked for ${candidates.join(' and ')}); rebuild with npm run build`,
    );
  return { exec, execArgv: process.execArgv };
}

/**
 * The worker's environment: the process's, without Homeport's own variables (secrets among them) — its
 * configuration and the probe token come over IPC. Node leaves out variables set to undefined.
 */
export function proxyWorkerEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(process.env))
    if (name.startsWith('HOMEPORT_') || name.startsWith('BETTERNAS_')) env[name] = undefined;
  return env;
}
