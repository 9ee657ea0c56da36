// The agent's state folder: owner-only files, and a warning when the folder itself is open to others.

import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../src/agent/agent.js';

function agentIn(stateDir: string): string[] {
  const lines: string[] = [];
  createAgent({
    controlPlaneUrl: 'http://127.0.0.1:9',
    bootstrapToken: undefined,
    exports: [],
    handlers: new Map(),
    host: '127.0.0.1',
    port: 0,
    advertiseUrl: undefined,
    displayName: undefined,
    machineId: undefined,
    heartbeatMs: 1000,
    stateDir,
    version: 'test',
    log: createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } }),
  });
  return lines;
}

describe('agent state folder', () => {
  it('writes agent.json 0600 and warns about a folder others can open', () => {
    const open = join(tempDir('homeport-agent-state-'), 'state');
    mkdirSync(open);
    chmodSync(open, 0o755);
    const lines = agentIn(open);
    expect(statSync(join(open, 'agent.json')).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).toContain(`chmod 700 ${open}`);

    const closed = join(tempDir('homeport-agent-state-'), 'fresh');
    expect(agentIn(closed).join('\n')).not.toContain('chmod 700');
    expect(statSync(closed).mode & 0o777).toBe(0o700);
  });
});
