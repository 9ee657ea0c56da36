// Runs a standalone NAS agent (`homeport agent` from the built bundle) against a control plane, on a free
// loopback port with its own state dir.

import { existsSync } from 'node:fs';
import { TestkitError } from './errors.js';
import { freePort } from './free-port.js';
import { type ManagedProcess, startProcess } from './process/managed-process.js';
import { HOMEPORT_BUNDLE } from './repo-paths.js';
import { tempDir } from './temp-dir.js';

export interface StartAgentOptions {
  controlPlaneUrl: string;
  bootstrapToken: string;
  /** `path[:label]` specs. */
  exports: readonly string[];
  /** Keep between restarts to keep the machine id (default: a new temp dir). */
  stateDir?: string;
  /** Reuse a port (restarts); default a free one. */
  port?: number;
  env?: Record<string, string | undefined>;
  heartbeatInterval?: string;
  /** Wait until registered (default), or only until it serves WebDAV (a control plane that is away). */
  readyWhen?: 'registered' | 'listening';
}

export interface AgentInstance {
  process: ManagedProcess;
  url: string;
  port: number;
  stateDir: string;
}

export async function startAgent(options: StartAgentOptions): Promise<AgentInstance> {
  if (!existsSync(HOMEPORT_BUNDLE)) {
    throw new TestkitError(
      'missing_build',
      `The Homeport bundle not found at ${HOMEPORT_BUNDLE}; run \`npm run build\` first`,
    );
  }
  const port = options.port ?? (await freePort());
  const stateDir = options.stateDir ?? tempDir('homeport-agent-');
  const args = [
    HOMEPORT_BUNDLE,
    'agent',
    '--control-plane',
    options.controlPlaneUrl,
    '--listen',
    `127.0.0.1:${port}`,
    '--state-dir',
    stateDir,
  ];
  for (const spec of options.exports) args.push('--export', spec);
  args.push('--heartbeat-interval', options.heartbeatInterval ?? '200ms');
  const process = await startProcess(globalThis.process.execPath, args, {
    name: 'homeport-agent',
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: options.bootstrapToken, ...options.env },
    ready: {
      line:
        options.readyWhen === 'listening' ? /webdav agent listening/ : /registered with the control plane/,
    },
  });
  return { process, url: `http://127.0.0.1:${port}`, port, stateDir };
}
