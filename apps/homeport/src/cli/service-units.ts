// systemd units for Homeport and its agent, with the sandboxing a network service should run under. Written by
// `homeport install-service`; deploy/systemd/ holds the output for the default options (a test keeps them equal).

import { isAbsolute } from 'node:path';

export interface ServiceUnitOptions {
  /** Absolute path of node. */
  node: string;
  /** Absolute path of the bundle (`…/dist/homeport.js`). */
  bundle: string;
  /**
   * The account the service runs as; undefined: a transient one (`DynamicUser=yes`). A fixed account is
   * needed when the deploy module talks to Docker (its socket's group) or exports live in a user's folders.
   */
  user?: string | undefined;
  /** Folders the service may write besides its state directory (exported folders). */
  writablePaths?: readonly string[];
  /** The Docker socket's group is added (deploy module). */
  docker?: boolean;
  /** Seconds a graceful stop may take (HOMEPORT_SHUTDOWN_TIMEOUT); systemd waits a little longer. */
  shutdownTimeoutSeconds?: number;
}

/** State directory names under /var/lib (systemd's StateDirectory=). */
export const STATE_DIRECTORY = { server: 'homeport', agent: 'homeport-agent' } as const;
/** Environment files read if present: settings and secrets go there, not on the command line. */
export const ENVIRONMENT_FILE = {
  server: '/etc/homeport/homeport.env',
  agent: '/etc/homeport/agent.env',
} as const;

const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;
/** How much longer than Homeport's own shutdown bound systemd waits before SIGKILL. */
const STOP_MARGIN_SECONDS = 20;

/** A path systemd takes in ExecStart= or ReadWritePaths=: absolute, no whitespace, quotes or specifiers. */
function checkPath(what: string, path: string): string {
  if (!isAbsolute(path) || /[\s"'\\%$;]/.test(path)) {
    throw new RangeError(`${what} must be an absolute path without spaces, quotes, %, $ or ; (got ${path})`);
  }
  return path;
}

function checkUser(user: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new RangeError(`not a system user name: ${user}`);
  return user;
}

/** The hardening both units share (see docs/install.md, "systemd"). */
function sandbox(options: ServiceUnitOptions, stateDirectory: string): string[] {
  const writable = (options.writablePaths ?? []).map((path) => checkPath('a writable path', path));
  return [
    options.user === undefined ? 'DynamicUser=yes' : `User=${checkUser(options.user)}`,
    ...(options.user === undefined ? [] : [`Group=${checkUser(options.user)}`]),
    ...(options.docker ? ['SupplementaryGroups=docker'] : []),
    `StateDirectory=${stateDirectory}`,
    'StateDirectoryMode=0700',
    `WorkingDirectory=/var/lib/${stateDirectory}`,
    'UMask=0077',
    'ProtectSystem=strict',
    `ReadWritePaths=/var/lib/${stateDirectory}${writable.map((path) => ` ${path}`).join('')}`,
    // Exports under /home need their folders in ReadWritePaths= (install-service --writable).
    writable.some((path) => path === '/home' || path.startsWith('/home/') || path.startsWith('/root'))
      ? 'ProtectHome=no'
      : 'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'NoNewPrivileges=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'SystemCallArchitectures=native',
    // No capabilities: ports above 1024 (put a reverse proxy on 443), files the service owns.
    'CapabilityBoundingSet=',
    'AmbientCapabilities=',
    'LimitNOFILE=65536',
  ];
}

function stopping(options: ServiceUnitOptions): string[] {
  const seconds = options.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new RangeError('shutdownTimeoutSeconds must be positive');
  return [
    'KillSignal=SIGTERM',
    // Above HOMEPORT_SHUTDOWN_TIMEOUT: Homeport stops itself first, systemd's SIGKILL is the last resort.
    `TimeoutStopSec=${Math.ceil(seconds) + STOP_MARGIN_SECONDS}`,
    'Restart=on-failure',
    'RestartSec=2',
  ];
}

/** The unit file of one of the two services: what differs is the description, the command and its environment. */
function serviceUnit(
  options: ServiceUnitOptions,
  which: keyof typeof STATE_DIRECTORY,
  description: string,
  command: string,
  environment: readonly string[] = [],
): string {
  const node = checkPath('node', options.node);
  const bundle = checkPath('the bundle', options.bundle);
  const sections = {
    Unit: [`Description=${description}`, 'After=network-online.target', 'Wants=network-online.target'],
    Service: [
      'Type=exec',
      `EnvironmentFile=-${ENVIRONMENT_FILE[which]}`,
      ...environment,
      `ExecStart=${node} ${bundle} ${command}`,
      ...stopping(options),
      ...sandbox(options, STATE_DIRECTORY[which]),
    ],
    Install: ['WantedBy=multi-user.target'],
  };
  return Object.entries(sections)
    .map(([name, lines]) => `[${name}]\n${lines.join('\n')}\n`)
    .join('\n');
}

/** homeport.service: `homeport start` with its data in /var/lib/homeport. */
export function serverUnit(options: ServiceUnitOptions): string {
  return serviceUnit(
    options,
    'server',
    'Homeport control plane (accounts, storage, rooms, deploys)',
    `start --data-dir /var/lib/${STATE_DIRECTORY.server}`,
  );
}

/** homeport-agent.service: `homeport agent`; its control plane URL, exports and token come from agent.env. */
export function agentUnit(options: ServiceUnitOptions): string {
  return serviceUnit(
    options,
    'agent',
    'Homeport storage agent (serves exported folders over WebDAV)',
    'agent',
    [`Environment=HOMEPORT_AGENT_STATE_DIR=/var/lib/${STATE_DIRECTORY.agent}`],
  );
}
