// `homeport start`: check the ports, then run the server until a signal stops it.

import { assertSafeBind, coreSettings, createLogger, flushLogger } from '@homeport/core';
import { agentSettings, listenAddress } from '@homeport/nas';
import { createHomeport, KNOWN_MODULES } from '../compose.js';
import { VERSION } from '../version.js';
import { configFrom } from './flags.js';
import { assertPortsFree, type PortClaim } from './ports.js';

export async function runStart(options: Record<string, unknown>): Promise<void> {
  const config = configFrom(options);
  const core = config.read(coreSettings);
  const agent = config.read(agentSettings);
  assertSafeBind({ bind: core.bind, tls: core.tlsCert !== undefined, insecurePublic: core.insecurePublic });

  const claims: PortClaim[] = [
    {
      host: core.bind,
      port: core.port,
      setting: '--port (HOMEPORT_PORT)',
      advice: 'stop the other process, or pick another port (--port 0 picks a free one)',
    },
  ];
  const nasRuns = (core.modules ?? KNOWN_MODULES).includes('nas');
  if (nasRuns && agent.embedded) {
    const dav = listenAddress(agent.listen, core.bind, agent.davPort);
    claims.push({
      ...dav,
      setting: 'HOMEPORT_DAV_PORT (--dav-port)',
      advice:
        'the embedded NAS agent needs a free one (--dav-port 0 picks one; HOMEPORT_EMBEDDED_AGENT=false runs without it)',
    });
  }
  await assertPortsFree(claims, core.dataDir);

  // Made here rather than inside createHomeport, so a failed start can write out its buffered lines first.
  const log = createLogger({ level: core.logLevel });
  try {
    const homeport = await createHomeport({ config, log });
    homeport.lifecycle.installSignalHandlers();
    let address: string;
    try {
      address = await homeport.listen();
    } catch (error) {
      // Started modules, the embedded agent and the database are stopped before the process exits.
      await homeport.close();
      throw error;
    }
    const publicUrl = core.publicUrl ?? address;
    console.log(`Homeport ${VERSION} listening on ${address}`);
    console.log(`  open:     ${publicUrl}`);
    console.log(`  data:     ${homeport.dataDir}`);
    console.log(`  modules:  ${homeport.modules.map((module) => module.name).join(', ')}`);
    for (const off of homeport.modulesOff) console.log(`  off:      ${off.name} (${off.reason})`);
    for (const line of homeport.describe()) console.log(`  ${line}`);
  } catch (error) {
    await flushLogger(log);
    throw error;
  }
}
