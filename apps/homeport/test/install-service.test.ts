// `homeport install-service` and the units in deploy/systemd: what systemd itself says of them
// (`systemd-analyze verify`, which prints every key it cannot parse), and what the command refuses.

import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOMEPORT_BUNDLE, requireCommand, tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { agentUnit, serverUnit } from '../src/cli/service-units.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (command: string, args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

const homeport = (args: string[]) => run(process.execPath, [HOMEPORT_BUNDLE, ...args]);

/** systemd's own reading of a unit: exit 0 and not one line of complaint. */
async function verify(unit: string): Promise<void> {
  const analyze = requireCommand('systemd-analyze', 'systemd');
  const result = await run(analyze, ['verify', '--man=no', unit]);
  expect({ unit, ...result }).toEqual({ unit, code: 0, stdout: '', stderr: '' });
}

const repoUnit = (name: string) => new URL(`../../../deploy/systemd/${name}`, import.meta.url);

describe('homeport install-service', () => {
  it('writes units systemd accepts without a warning, for the server and the agent', async () => {
    const to = tempDir('homeport-units-');
    const exported = tempDir('homeport-export-');
    const written = await homeport(['install-service', '--to', to, '--agent', '--writable', exported]);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(
      'systemctl daemon-reload && systemctl enable --now homeport homeport-agent',
    );
    for (const name of ['homeport.service', 'homeport-agent.service']) {
      const path = join(to, name);
      expect(statSync(path).mode & 0o777).toBe(0o644);
      const text = readFileSync(path, 'utf8');
      expect(text).toContain(`ExecStart=${process.execPath} ${HOMEPORT_BUNDLE}`);
      expect(text).toContain(`ReadWritePaths=/var/lib/homeport`);
      expect(text).toContain(` ${exported}\n`);
      for (const line of [
        'ProtectSystem=strict',
        'NoNewPrivileges=yes',
        'PrivateTmp=yes',
        'Restart=on-failure',
      ])
        expect(text).toContain(`${line}\n`);
      await verify(path);
    }
  });

  it('waits longer than Homeport’s own shutdown bound before killing it', async () => {
    const written = await homeport(['install-service', '--print', '--shutdown-timeout', '45']);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain('TimeoutStopSec=65\n');
    expect(written.stdout).toContain('KillSignal=SIGTERM\n');
  });

  it('runs as a named account with the docker group when asked, and systemd accepts that too', async () => {
    const to = tempDir('homeport-units-');
    // root exists on every machine; systemd-analyze only warns about the special user nobody.
    const written = await homeport(['install-service', '--to', to, '--user', 'root', '--docker']);
    expect(written.code).toBe(0);
    const text = readFileSync(join(to, 'homeport.service'), 'utf8');
    expect(text).toContain('User=root\nGroup=root\nSupplementaryGroups=docker\n');
    expect(text).not.toContain('DynamicUser');
    await verify(join(to, 'homeport.service'));
  });

  it('refuses to replace a unit without --force, --docker without --user, and paths systemd would misread', async () => {
    const to = tempDir('homeport-units-');
    writeFileSync(join(to, 'homeport.service'), 'mine');
    const taken = await homeport(['install-service', '--to', to]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('homeport.service exists; --force replaces it');
    expect(readFileSync(join(to, 'homeport.service'), 'utf8')).toBe('mine');
    expect((await homeport(['install-service', '--to', to, '--force'])).code).toBe(0);

    const docker = await homeport(['install-service', '--print', '--docker']);
    expect(docker.code).toBe(2);
    expect(docker.stderr).toContain('--docker needs --user');
    expect(() => serverUnit({ node: '/usr/bin/node', bundle: '/opt/my homeport/homeport.js' })).toThrow(
      /absolute path without spaces/,
    );
    expect(() =>
      serverUnit({ node: '/usr/bin/node', bundle: '/opt/h.js', writablePaths: ['/srv/a;rm'] }),
    ).toThrow(RangeError);
    expect(() => serverUnit({ node: 'node', bundle: '/opt/h.js' })).toThrow(RangeError);
    expect(() =>
      serverUnit({ node: '/usr/bin/node', bundle: '/opt/h.js', user: 'x\nExecStartPre=/bin/sh' }),
    ).toThrow(/system user name/);
  });

  it('deploy/systemd holds exactly what the command writes for /opt/homeport', async () => {
    const options = { node: '/usr/bin/node', bundle: '/opt/homeport/dist/homeport.js' };
    expect(readFileSync(repoUnit('homeport.service'), 'utf8')).toBe(serverUnit(options));
    expect(readFileSync(repoUnit('homeport-agent.service'), 'utf8')).toBe(agentUnit(options));
  });
});
