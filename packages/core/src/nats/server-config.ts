// The nats-server configuration file of the managed server, rendered from its ports, paths and identity.

export interface ManagedServerConfig {
  /** Client port on 127.0.0.1. */
  port: number;
  /** Monitoring (HTTP) port on 127.0.0.1, polled for /healthz. */
  monitorPort: number;
  storeDir: string;
  resolverDir: string;
  pidFile: string;
  operatorJwtFile: string;
  systemAccount: string;
  /** Account public key → account JWT. */
  accountJwts: Record<string, string>;
}

/** A quoted string for the nats-server config language, which reads JSON-style escapes in double quotes. */
function quoted(value: string): string {
  if (/[\n\r]/.test(value))
    throw new Error(`nats-server config value must be one line: ${JSON.stringify(value)}`);
  return JSON.stringify(value);
}

/** Account public keys and JWTs are base32/base64url; anything else would break the file's syntax. */
function checkToken(value: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new Error(`unexpected characters in ${JSON.stringify(value)}`);
  return value;
}

export function renderServerConfig(config: ManagedServerConfig): string {
  const preload = Object.entries(config.accountJwts)
    .map(([account, jwt]) => `  ${checkToken(account)}: ${quoted(checkToken(jwt))}`)
    .join('\n');
  return `# Written by Homeport before every start of its managed nats-server; edits here are overwritten.
server_name: "homeport"
listen: "127.0.0.1:${config.port}"
http: "127.0.0.1:${config.monitorPort}"
pid_file: ${quoted(config.pidFile)}
# Homeport's logger adds the time.
logtime: false

jetstream {
  store_dir: ${quoted(config.storeDir)}
}

# Operator mode: every client needs a user JWT signed for one of the accounts below, and proves it holds the
# user's seed; there is no anonymous or password access.
operator: ${quoted(config.operatorJwtFile)}
system_account: ${checkToken(config.systemAccount)}

resolver {
  type: full
  dir: ${quoted(config.resolverDir)}
  allow_delete: false
  interval: "2m"
}

resolver_preload {
${preload}
}
`;
}
