// `homeport agent`: serve folders of this machine over WebDAV for a Homeport control plane.

import {
  assertSafeBind,
  ConfigError,
  coreSettings,
  createLifecycle,
  createLogger,
  flushLogger,
} from '@homeport/core';
import { agentFromConfig, agentSettings, listenAddress, nasSettings } from '@homeport/nas';
import { VERSION } from '../version.js';
import { configFrom } from './flags.js';
import { assertPortsFree } from './ports.js';

export async function runAgent(options: Record<string, unknown>): Promise<void> {
  const config = configFrom(options);
  const core = config.read(coreSettings);
  const settings = config.read(agentSettings);
  const problems: string[] = [];
  if (!settings.controlPlaneUrl)
    problems.push(
      '--control-plane (HOMEPORT_CONTROL_PLANE_URL): required, e.g. https://homeport.example.com',
    );
  if (!settings.exports?.length)
    problems.push('--export (HOMEPORT_EXPORTS): give at least one folder, e.g. --export /srv/photos:Photos');
  if (problems.length > 0) throw new ConfigError(problems);
  const listen = listenAddress(settings.listen, '127.0.0.1', settings.davPort);
  // Basic-auth mount credentials must not cross a network in clear either.
  assertSafeBind({ bind: listen.host, flag: '--listen', tls: false, insecurePublic: core.insecurePublic });
  await assertPortsFree([
    {
      ...listen,
      setting: '--listen (HOMEPORT_AGENT_LISTEN)',
      advice: 'stop the other process or pick another port',
    },
  ]);

  const log = createLogger({ level: core.logLevel });
  try {
    const agent = agentFromConfig({
      config,
      log,
      version: VERSION,
      bootstrapToken: config.read(nasSettings).nodeBootstrapToken,
    });
    const lifecycle = createLifecycle({ log, timeoutMs: core.shutdownTimeout });
    lifecycle.onShutdown('agent', () => agent.close());
    lifecycle.installSignalHandlers();
    const url = await agent.start();
    console.log(`Homeport agent ${VERSION} serving WebDAV on ${url}`);
    console.log(`  machine:        ${agent.machineId}`);
    console.log(`  control plane:  ${settings.controlPlaneUrl}`);
    for (const spec of settings.exports ?? []) console.log(`  export:         ${spec}`);
  } catch (error) {
    // Lines logged before the failure are still in the batching buffer; main exits right after this.
    await flushLogger(log);
    throw error;
  }
}
