// `homeport start`: run the server until a signal stops it.

import { assertSafeBind, coreSettings } from '@homeport/core';
import { createHomeport } from '../compose.js';
import { VERSION } from '../version.js';
import { configFrom } from './flags.js';

export async function runStart(options: Record<string, unknown>): Promise<void> {
  const config = configFrom(options);
  const core = config.read(coreSettings);
  assertSafeBind({ bind: core.bind, tls: core.tlsCert !== undefined, insecurePublic: core.insecurePublic });

  const homeport = await createHomeport({ config });
  homeport.lifecycle.installSignalHandlers();
  const address = await homeport.listen();
  const publicUrl = core.publicUrl ?? address;
  console.log(`Homeport ${VERSION} listening on ${address}`);
  console.log(`  open:     ${publicUrl}`);
  console.log(`  data:     ${homeport.dataDir}`);
  console.log(`  modules:  ${homeport.modules.map((module) => module.name).join(', ')}`);
  if (homeport.davUrl) console.log(`  webdav:   ${homeport.davUrl} (embedded agent)`);
}
