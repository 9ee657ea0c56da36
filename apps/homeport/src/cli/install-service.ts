// `homeport install-service`: writes systemd units for this installation (this node, this bundle), so the
// unit runs exactly what was installed. Declared here; the units themselves are in service-units.ts.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@homeport/core';
import { type Command, InvalidArgumentError } from 'commander';
import type { ServiceUnitOptions } from './service-units.js';

interface InstallServiceFlags {
  to: string;
  agent?: boolean;
  server: boolean;
  user?: string;
  writable: string[];
  docker?: boolean;
  shutdownTimeout: number;
  force?: boolean;
  print?: boolean;
}

/** The bundle this process runs from (dist/homeport.js, or dist/chunks/… one level below it). */
function bundlePath(): string {
  const here = fileURLToPath(import.meta.url);
  const dist = here.includes('/chunks/') ? resolve(here, '..', '..') : resolve(here, '..');
  return join(dist, 'homeport.js');
}

const seconds = (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('give a number of seconds');
  return number;
};

export function addInstallServiceCommand(program: Command): void {
  program
    .command('install-service')
    .description(
      'write systemd units for this installation (homeport.service; --agent: homeport-agent.service)',
    )
    .option('--to <dir>', 'where the unit files go', '/etc/systemd/system')
    .option('--agent', 'also write homeport-agent.service (a machine that only shares folders: --no-server)')
    .option('--no-server', 'do not write homeport.service')
    .option('--user <name>', 'run as this existing account instead of a transient one (DynamicUser)')
    .option(
      '--writable <dir>',
      'a folder the service may write (each exported folder); repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--docker', "add the docker group (the deploy module talks to Docker's socket; needs --user)")
    .option(
      '--shutdown-timeout <seconds>',
      'HOMEPORT_SHUTDOWN_TIMEOUT in seconds (systemd waits 20 s more)',
      seconds,
      10,
    )
    .option('--force', 'replace unit files that exist')
    .option('--print', 'print the units instead of writing them')
    .addHelpText(
      'after',
      `
Settings and secrets go in /etc/homeport/homeport.env and /etc/homeport/agent.env (KEY=value lines, mode
0600), read when present. The data lives in /var/lib/homeport (the agent's state in /var/lib/homeport-agent).

Examples:
  sudo homeport install-service && sudo systemctl daemon-reload && sudo systemctl enable --now homeport
  sudo homeport install-service --agent --no-server --writable /srv/photos
  homeport install-service --print`,
    )
    .action(async (flags: InstallServiceFlags) => {
      const { agentUnit, serverUnit } = await import('./service-units.js');
      if (flags.docker && flags.user === undefined)
        throw new ConfigError(['--docker needs --user: a transient account cannot be in the docker group']);
      const options: ServiceUnitOptions = {
        node: process.execPath,
        bundle: bundlePath(),
        user: flags.user,
        writablePaths: flags.writable.map((dir) => resolve(dir)),
        docker: flags.docker ?? false,
        shutdownTimeoutSeconds: flags.shutdownTimeout,
      };
      const units: [string, string][] = [];
      if (flags.server) units.push(['homeport.service', serverUnit(options)]);
      if (flags.agent) units.push(['homeport-agent.service', agentUnit(options)]);
      if (units.length === 0) throw new ConfigError(['nothing to write: --no-server without --agent']);
      if (flags.print) {
        for (const [name, text] of units) process.stdout.write(`# ${name}\n${text}\n`);
        return;
      }
      const taken = units.map(([name]) => join(flags.to, name)).filter((path) => existsSync(path));
      if (taken.length > 0 && !flags.force)
        throw new ConfigError([`${taken.join(', ')} exists; --force replaces it`]);
      mkdirSync(flags.to, { recursive: true });
      for (const [name, text] of units) {
        writeFileSync(join(flags.to, name), text, { mode: 0o644 });
        console.log(`wrote ${join(flags.to, name)}`);
      }
      const names = units.map(([name]) => name.replace('.service', '')).join(' ');
      console.log(`next: systemctl daemon-reload && systemctl enable --now ${names}`);
    });
}
