// Settings of Homeport's NATS connection: an external server (URL, creds, CA) or the managed nats-server.

import { ConfigError } from '../config/load.js';
import {
  defineSettings,
  enumSetting,
  listSetting,
  type Setting,
  SettingProblem,
  type SettingValues,
  stringSetting,
} from '../config/settings.js';
import { isLoopbackAddress } from '../http/bind-guard.js';
import { clusterProblems } from './cluster-guard.js';
import { natsClusterSettings } from './cluster-settings.js';
import { memberListenerProblems, natsMemberListenerSettings } from './member-listener-settings.js';

const SCHEMES = new Set(['nats:', 'tls:']);

/** `nats://host:port`, `tls://host:port` or a bare `host:port`, as nats-server and the CLI accept them. */
function parseNatsUrl(raw: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `nats://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new SettingProblem(
      `must hold URLs like nats://host:4222 or tls://host:4222, got ${JSON.stringify(raw)}`,
    );
  }
  if (!SCHEMES.has(url.protocol))
    throw new SettingProblem(`must use nats:// or tls://, got ${url.protocol}//`);
  if (url.hostname === '') throw new SettingProblem(`needs a host, got ${JSON.stringify(raw)}`);
  if (url.username !== '' || url.password !== '')
    throw new SettingProblem('must not carry a user or password; use HOMEPORT_NATS_CREDS');
  return withScheme;
}

const serverBin: Setting<string | undefined> = {
  key: 'nats.serverBin',
  env: 'HOMEPORT_NATS_SERVER_BIN',
  defaultValue: undefined,
  defaultText: '`nats-server` on PATH, else /usr/sbin/nats-server',
  parse(raw) {
    if (typeof raw !== 'string' || raw.trim() === '') throw new SettingProblem('must be a path');
    return raw.trim();
  },
  doc: 'The nats-server binary Homeport runs when it manages its own NATS.',
};

export const natsSettings = defineSettings({
  natsUrl: listSetting({
    key: 'nats.url',
    env: 'HOMEPORT_NATS_URL',
    flag: 'nats-url',
    item: parseNatsUrl,
    doc: 'External NATS server(s), comma-separated (`tls://nats1:4222,tls://nats2:4222`). A non-loopback server needs `tls://` or HOMEPORT_NATS_CA. Unset: Homeport runs its own nats-server (see HOMEPORT_NATS_MANAGED).',
  }),
  natsCreds: stringSetting({
    key: 'nats.creds',
    env: 'HOMEPORT_NATS_CREDS',
    flag: 'nats-creds',
    doc: 'Credentials file (user JWT + seed, as `nsc` writes it) for the external NATS server.',
  }),
  natsCa: stringSetting({
    key: 'nats.ca',
    env: 'HOMEPORT_NATS_CA',
    flag: 'nats-ca',
    doc: "PEM CA file that signed the external NATS server's certificate; setting it makes TLS required.",
  }),
  natsManaged: enumSetting({
    key: 'nats.managed',
    env: 'HOMEPORT_NATS_MANAGED',
    values: ['auto', 'off'],
    default: 'auto',
    doc: '`auto`: with no HOMEPORT_NATS_URL, run and supervise a local nats-server (JetStream, operator-mode auth, loopback only) when the binary is installed. `off`: never.',
  }),
  natsServerBin: serverBin,
  ...natsClusterSettings,
  ...natsMemberListenerSettings,
});

export type NatsSettingValues = SettingValues<typeof natsSettings>;

/** Whether the client must insist on TLS: any `tls://` URL or a CA file. */
export function natsTlsRequired(values: Pick<NatsSettingValues, 'natsUrl' | 'natsCa'>): boolean {
  return values.natsCa !== undefined || (values.natsUrl ?? []).some((url) => url.startsWith('tls://'));
}

/** What the combination check needs besides the NATS settings. */
export interface NatsConfigContext {
  /** HOMEPORT_SECRET_KEY (an accounts setting), required by a managed cluster. */
  secretKey?: string | undefined;
}

/**
 * Problems with the combination of NATS settings (each item was already checked alone): a plaintext URL to a
 * non-loopback host would send the credentials' signatures and every message across the network in clear;
 * the cluster settings are checked by the cluster guard.
 */
export function natsConfigProblems(values: NatsSettingValues, context: NatsConfigContext = {}): string[] {
  const urls = values.natsUrl ?? [];
  const problems: string[] = [];
  if (urls.length > 0 && !natsTlsRequired(values)) {
    for (const url of urls) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      if (!isLoopbackAddress(host))
        problems.push(
          `HOMEPORT_NATS_URL ${url}: refusing plaintext NATS to a non-loopback host (messages and store contents would cross the network in clear). Use tls://${new URL(url).host} or set HOMEPORT_NATS_CA.`,
        );
    }
  }
  if (values.natsCreds !== undefined && urls.length === 0)
    problems.push('HOMEPORT_NATS_CREDS is set without HOMEPORT_NATS_URL (the managed server makes its own).');
  if (values.natsCa !== undefined && urls.length === 0)
    problems.push(
      'HOMEPORT_NATS_CA is set without HOMEPORT_NATS_URL (the managed server listens on loopback).',
    );
  let notManaged: string | undefined;
  if (urls.length > 0) notManaged = 'HOMEPORT_NATS_URL is set, so Homeport is a client of that server';
  else if (values.natsManaged === 'off') notManaged = 'HOMEPORT_NATS_MANAGED=off';
  problems.push(...memberListenerProblems(values, notManaged));
  problems.push(
    ...clusterProblems(values, {
      secretKey: context.secretKey,
      ...(notManaged === undefined ? {} : { notManaged }),
    }),
  );
  return problems;
}

/** Throws a ConfigError listing every problem of the NATS settings together. */
export function assertNatsConfig(values: NatsSettingValues, context: NatsConfigContext = {}): void {
  const problems = natsConfigProblems(values, context);
  if (problems.length > 0) throw new ConfigError(problems);
}
