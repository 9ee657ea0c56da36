// A test Homeport with the deploy module in a process of its own (run with `node --import tsx`), so a test
// can crash it (SIGKILL) or stop it with a real SIGTERM through the lifecycle's signal handlers, then reopen
// its data dir in-process. Settings come as JSON in TEST_HOMEPORT_ENV; the data dir in TEST_HOMEPORT_DATA_DIR.

import { writeSync } from 'node:fs';
import { buildTestHomeport } from '@homeport/accounts/testing';
import { createDeployModule, DEPLOY } from '../../src/index.js';

const env = JSON.parse(process.env.TEST_HOMEPORT_ENV ?? '{}') as Record<string, string>;
const dataDir = process.env.TEST_HOMEPORT_DATA_DIR;
if (!dataDir) throw new Error('TEST_HOMEPORT_DATA_DIR must be set');

const t = await buildTestHomeport({ modules: [createDeployModule({ pollMs: 200 })], env, dataDir });
const url = await t.homeport.listen();
t.homeport.lifecycle.installSignalHandlers();
// The captured log goes to stderr when the process ends by itself (a SIGKILL leaves nothing, like a crash).
process.on('exit', () => writeSync(2, `${t.logs.join('')}\n`));
const proxyPort = t.homeport.requireModule(DEPLOY).proxyPort();
process.stdout.write(`HOMEPORT_READY ${JSON.stringify({ url, proxyPort })}\n`);
