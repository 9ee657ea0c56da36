// The `homeport` command line: commands, flags and help with examples.

// What a command runs is imported when that command runs (import()): the bundle splits there, so `start`
// does not load the bus client, the migrations or the account commands, nor they the server (issue 15).

import { coreSettings, describeSettings, natsSettings } from '@homeport/core';
import { agentSettings } from '@homeport/nas';
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../version.js';
import { addBackupCommands } from './backup.js';
import { addBusClientCommands, BUS_CLIENT_EXAMPLES } from './bus-client-commands.js';
import { withControlPlaneFlags } from './bus-flags.js';
import { addDeployCommands } from './deploy.js';
import { addInstallServiceCommand } from './install-service.js';
import { addMigrateCommands } from './migrate.js';
import { type FlagSpec, settingOption } from './setting-options.js';

const ROLE = (value: string) => {
  if (value !== 'admin' && value !== 'member') throw new InvalidArgumentError('role must be admin or member');
  return value;
};

/** The flags of `homeport start`, in help order; names, docs and defaults come from the descriptors. */
const START_FLAGS: readonly FlagSpec[] = [
  { setting: coreSettings.port },
  { setting: coreSettings.bind, argument: 'address' },
  { setting: coreSettings.dataDir, argument: 'dir' },
  { setting: coreSettings.modules, argument: 'list' },
  { setting: coreSettings.store, argument: 'sqlite|kv' },
  { setting: natsSettings.natsUrl, argument: 'urls' },
  { setting: natsSettings.natsCreds, argument: 'file' },
  { setting: natsSettings.natsCa, argument: 'file' },
  { setting: coreSettings.publicUrl, argument: 'url' },
  { setting: coreSettings.tlsCert, argument: 'file' },
  { setting: coreSettings.tlsKey, argument: 'file' },
  { setting: coreSettings.insecurePublic },
  { setting: agentSettings.davPort, argument: 'port' },
];

/** The flags of `homeport agent`. */
const AGENT_FLAGS: readonly FlagSpec[] = [
  { setting: agentSettings.controlPlaneUrl, argument: 'url' },
  { setting: agentSettings.exports, argument: 'path[:label]', repeatable: true },
  { setting: agentSettings.exportRoots, argument: 'dir', repeatable: true },
  { setting: agentSettings.listen, argument: 'host:port' },
  { setting: agentSettings.advertiseUrl, argument: 'url' },
  { setting: agentSettings.nodeName, argument: 'name' },
  { setting: agentSettings.machineId, argument: 'id' },
  { setting: agentSettings.heartbeatInterval, argument: 'duration' },
  { setting: agentSettings.stateDir, argument: 'dir' },
  { setting: coreSettings.insecurePublic },
];

/** Every command's flags, for the test that keeps each descriptor's flag reachable from some command. */
export const COMMAND_FLAGS = { start: START_FLAGS, agent: AGENT_FLAGS } as const;

function withFlags(command: Command, specs: readonly FlagSpec[]): Command {
  for (const spec of specs) command.addOption(settingOption(spec));
  return command;
}

/** The YAML file is not a setting (it holds them), so its option is written here. */
const configOption = () => new Option('--config <file>', 'YAML config file (env HOMEPORT_CONFIG)');

/** `bus user …` through the API instead of the local database: --url, --identity, --ca. */
function userTarget(command: Command): Command {
  return withControlPlaneFlags(command).addHelpText(
    'after',
    '\nWithout --url: the local SQLite database (--data-dir, --config). With --url: the API, signed by --identity,\nwhich must be an active bus admin (works on the KV store too).',
  );
}

function storeOptions(command: Command): Command {
  return withFlags(command, [{ setting: coreSettings.dataDir, argument: 'dir' }]).addOption(configOption());
}

export function buildProgram(): Command {
  const program = new Command('homeport')
    .description(
      'Homeport: one control plane for the machines you own (accounts, NAS, encrypted rooms, deploys).',
    )
    .version(VERSION)
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Examples:
  homeport start                                   # http://127.0.0.1:8080, data in ./homeport-data
  homeport start --port 9000 --data-dir /var/lib/homeport
  homeport start --bind 0.0.0.0 --tls-cert cert.pem --tls-key key.pem
  homeport agent --control-plane http://127.0.0.1:8080 --export /srv/photos:Photos
  homeport user add alice --role admin             # prints a generated password once
  echo 's3cret-pass' | homeport user reset-password alice --password-stdin
  homeport config reference                        # every setting, its env name and default
  homeport migrate to-kv --db ./homeport-data/homeport.db --nats-url nats://127.0.0.1:4222   # SQLite → KV`,
    );

  withFlags(
    program.command('start').description('run the web UI, API and modules until SIGTERM/SIGINT'),
    START_FLAGS,
  )
    .addOption(configOption())
    .addHelpText(
      'after',
      `
Examples:
  homeport start
  HOMEPORT_ADMIN_PASSWORD='change-me-now' homeport start --port 8080
  homeport start --config /etc/homeport.yaml`,
    )
    .action(async (options: Record<string, unknown>) => (await import('./start.js')).runStart(options));

  withFlags(
    program
      .command('agent')
      .description('serve folders of this machine over WebDAV for a control plane (a NAS node)'),
    AGENT_FLAGS,
  )
    .addOption(configOption())
    .addHelpText(
      'after',
      `
The bootstrap token comes from HOMEPORT_NODE_BOOTSTRAP_TOKEN (it is in <data-dir>/secrets/node-bootstrap-token
on the control plane); it is never a flag, so it does not show up in the process list.

Examples:
  HOMEPORT_NODE_BOOTSTRAP_TOKEN=… homeport agent --control-plane https://homeport.example.com \\
      --export /srv/photos:Photos --export /srv/media --listen 127.0.0.1:8090
  homeport agent --config /etc/homeport-agent.yaml`,
    )
    .action(async (options: Record<string, unknown>) => (await import('./agent.js')).runAgent(options));

  const user = program
    .command('user')
    .description('manage accounts in the local database (bootstrap and recovery; the server may be running)')
    .addHelpText(
      'after',
      `
Examples:
  homeport user list
  homeport user add bob                       # member, generated password printed once
  homeport user add carol --role admin --password-stdin < password.txt
  homeport user set-role bob admin
  homeport user disable bob                   # ends bob's sessions at once
  homeport user enable bob
  homeport user reset-password bob`,
    );
  storeOptions(user.command('add <username>').description('create a user'))
    .addOption(new Option('--role <role>', 'admin or member').argParser(ROLE).default('member'))
    .option('--password-stdin', 'read the password from standard input (else one is generated)')
    .action(async (username: string, options: Record<string, unknown>) =>
      (await import('./user.js')).userAdd(username, options),
    );
  storeOptions(user.command('list').description('list users'))
    .option('--json', 'print JSON')
    .action(async (options: Record<string, unknown>) => (await import('./user.js')).userList(options));
  storeOptions(user.command('set-role <username> <role>').description('make a user admin or member')).action(
    async (username: string, role: string, options: Record<string, unknown>) =>
      (await import('./user.js')).userUpdate(username, { role: ROLE(role) }, options),
  );
  storeOptions(
    user.command('disable <username>').description('disable a user and end their sessions'),
  ).action(async (username: string, options: Record<string, unknown>) =>
    (await import('./user.js')).userUpdate(username, { status: 'disabled' }, options),
  );
  storeOptions(user.command('enable <username>').description('enable a disabled user')).action(
    async (username: string, options: Record<string, unknown>) =>
      (await import('./user.js')).userUpdate(username, { status: 'active' }, options),
  );
  storeOptions(
    user
      .command('reset-password <username>')
      .description('set a new password and end their sessions and API tokens'),
  )
    .option('--password-stdin', 'read the password from standard input (else one is generated)')
    .option('--keep-api-tokens', "keep the user's API tokens (a reset ends them by default)")
    .action(async (username: string, options: Record<string, unknown>) =>
      (await import('./user.js')).userResetPassword(username, options),
    );

  const bus = program
    .command('bus')
    .description(
      'encrypted rooms: identities, the allowlist on the local database, and rooms and messages as a member',
    )
    .addHelpText(
      'after',
      `
Examples:
  homeport bus identity new ~/.config/homeport/bus.id     # 0600; prints sign-pub and kex-pub
  homeport bus identity import ~/unibus/worker.id ~/.config/homeport/bus.id
  homeport bus user add --handle alice --role admin --sign-pub <64 hex> --kex-pub <64 hex>
  homeport bus user list
  homeport bus user revoke <64 hex>
  homeport bus user list --url https://homeport.lan --identity ~/.config/homeport/bus.id   # as a bus admin
${BUS_CLIENT_EXAMPLES}`,
    );
  const identity = bus
    .command('identity')
    .description('identity files (Ed25519 + X25519; unibus files are read too)');
  identity
    .command('new <file>')
    .description('make a new identity file (refuses to replace one)')
    .action(async (file: string) => (await import('./bus.js')).busIdentityNew(file));
  identity
    .command('show <file>')
    .description("print an identity file's public keys")
    .action(async (file: string) => (await import('./bus.js')).busIdentityShow(file));
  identity
    .command('import <unibusFile> <dest>')
    .description('copy a unibus identity into a new file')
    .action(async (source: string, dest: string) =>
      (await import('./bus.js')).busIdentityImport(source, dest),
    );
  const busUser = bus
    .command('user')
    .description(
      'the allowlist: on the local SQLite database, or with --url and --identity through the API as a bus admin',
    );
  // Local (the host's database) unless --url is given: then signed by --identity, which must be a bus admin.
  const remote = (options: Record<string, unknown>) => options.url !== undefined;
  userTarget(storeOptions(busUser.command('add').description('add an identity to the allowlist')))
    .requiredOption('--sign-pub <hex>', 'Ed25519 public key, 64 hex')
    .requiredOption('--kex-pub <hex>', 'X25519 public key, 64 hex')
    .requiredOption('--handle <name>', 'display name')
    .addOption(new Option('--role <role>', 'admin or member').argParser(ROLE).default('member'))
    .action(async (options: Record<string, unknown>) =>
      remote(options)
        ? (await import('./bus-users-remote.js')).busUserAddRemote(options)
        : (await import('./bus.js')).busUserAdd(options),
    );
  userTarget(
    storeOptions(busUser.command('list').description('list the allowlist, revoked identities included')),
  )
    .option('--json', 'print JSON')
    .action(async (options: Record<string, unknown>) =>
      remote(options)
        ? (await import('./bus-users-remote.js')).busUserListRemote(options)
        : (await import('./bus.js')).busUserList(options),
    );
  userTarget(storeOptions(busUser.command('revoke <signPub>').description('revoke an identity'))).action(
    async (signPub: string, options: Record<string, unknown>) =>
      remote(options)
        ? (await import('./bus-users-remote.js')).busUserRevokeRemote(signPub, options)
        : (await import('./bus.js')).busUserRevoke(signPub, options),
  );
  addBusClientCommands(bus);

  addMigrateCommands(program, storeOptions);
  addBackupCommands(program, storeOptions);
  addDeployCommands(program);
  addInstallServiceCommand(program);

  const config = program.command('config').description('inspect configuration');
  config
    .command('reference')
    .description('print every setting (env, flag, config key, default) as a Markdown table')
    .action(async () => console.log(describeSettings((await import('../compose.js')).ALL_SETTINGS)));

  return program;
}
