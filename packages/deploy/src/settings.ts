// Settings of the deploy module: where Docker is, where the built-in proxy listens and its limits, this
// node's name for stage pinning, the registry webhook token, the TLS edge in front of the proxy, and how
// long a shutdown waits for running deploys.

import { availableParallelism, hostname } from 'node:os';
import {
  defineSettings,
  durationSetting,
  enumSetting,
  intSetting,
  listSetting,
  type Setting,
  SettingProblem,
  stringSetting,
  urlSetting,
} from '@homeport/core';

/** `auto` never starts more proxy workers than this, however many cores the machine has. */
export const MAX_AUTO_PROXY_WORKERS = 8;
/** An explicit worker count above this is refused: each worker is a Node process (~50 MB). */
export const MAX_PROXY_WORKERS = 64;

/** HOMEPORT_PROXY_WORKERS: a whole number from 1 to MAX_PROXY_WORKERS, or `auto` (one per core, capped). */
const proxyWorkersSetting: Setting<number | 'auto'> = {
  key: 'deploy.proxyWorkers',
  env: 'HOMEPORT_PROXY_WORKERS',
  doc: `Built-in proxy processes: 1 serves in Homeport's own process; more (or \`auto\`: one per core, at most ${MAX_AUTO_PROXY_WORKERS}) start node:cluster workers sharing the proxy port, while Homeport keeps the route table and sends each change to every worker.`,
  defaultValue: 1,
  defaultText: '1',
  parse(raw) {
    const text = (typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '').trim();
    if (text === 'auto') return 'auto';
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_PROXY_WORKERS)
      throw new SettingProblem(`must be auto or a whole number from 1 to ${MAX_PROXY_WORKERS}`);
    return Number(text);
  },
};

/** The number of proxy processes a HOMEPORT_PROXY_WORKERS value means on a machine with `cores` cores. */
export function proxyWorkerCount(setting: number | 'auto', cores = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, Math.min(cores, MAX_AUTO_PROXY_WORKERS)) : setting;
}

export const deploySettings = defineSettings({
  proxyPort: intSetting({
    key: 'deploy.proxyPort',
    env: 'HOMEPORT_PROXY_PORT',
    default: 8480,
    min: 0,
    max: 65535,
    doc: 'Port of the built-in reverse proxy that serves the stages’ public hosts (0 picks a free one, for tests).',
  }),
  proxyBind: stringSetting({
    key: 'deploy.proxyBind',
    env: 'HOMEPORT_PROXY_BIND',
    default: '127.0.0.1',
    doc: 'Address the built-in proxy listens on. Loopback by default: put Caddy or nginx in front (HOMEPORT_DEPLOY_EDGE), or set 0.0.0.0 to serve directly.',
  }),
  proxyMaxBody: intSetting({
    key: 'deploy.proxyMaxBodyBytes',
    env: 'HOMEPORT_PROXY_MAX_BODY',
    default: 100 * 1024 * 1024,
    min: 1,
    doc: 'Largest request body the built-in proxy passes to an app (413 above it).',
  }),
  proxyUpstreamTimeout: durationSetting({
    key: 'deploy.proxyUpstreamTimeout',
    env: 'HOMEPORT_PROXY_UPSTREAM_TIMEOUT',
    default: '60s',
    minMs: 1_000,
    doc: 'An app that sends no response headers for this long gets its client a 504.',
  }),
  proxyWorkers: proxyWorkersSetting,
  node: stringSetting({
    key: 'deploy.node',
    env: 'HOMEPORT_DEPLOY_NODE',
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    patternHint: 'a name of letters, digits, dot, dash, underscore',
    doc: 'This replica’s node name (unset: the machine’s host name): it runs the deploys of stages pinned to it, and of unpinned stages.',
  }),
  webhookToken: stringSetting({
    key: 'deploy.webhookToken',
    env: 'HOMEPORT_DEPLOY_WEBHOOK_TOKEN',
    minLength: 24,
    doc: 'Token registries send as Authorization: Bearer on the registry webhook. Unset: one is generated and kept with the other secrets (admins read it at GET /api/v1/deploy/webhooks/registry/token).',
  }),
  shutdownTimeout: durationSetting({
    key: 'deploy.shutdownTimeout',
    env: 'HOMEPORT_DEPLOY_SHUTDOWN_TIMEOUT',
    default: '60s',
    minMs: 0,
    doc: 'On SIGTERM, running deploys get this long to finish; those still before their switch are then cancelled (cleaned up, the old color keeps serving).',
  }),
  edge: enumSetting({
    key: 'deploy.edge',
    env: 'HOMEPORT_DEPLOY_EDGE',
    values: ['none', 'caddy', 'nginx'] as const,
    default: 'none',
    doc: 'The TLS edge in front of the built-in proxy: none (the proxy is the edge), caddy (admin API), nginx (a conf file per host + graceful reload).',
  }),
  caddyAdmin: urlSetting({
    key: 'deploy.caddyAdmin',
    env: 'HOMEPORT_CADDY_ADMIN',
    default: 'http://127.0.0.1:2019',
    doc: 'Caddy’s admin API (loopback only) when HOMEPORT_DEPLOY_EDGE=caddy.',
  }),
  edgeListen: listSetting({
    key: 'deploy.edgeListen',
    env: 'HOMEPORT_EDGE_LISTEN',
    doc: 'Addresses the TLS edge listens on for the stages’ hosts (default :443 for caddy, 80 for nginx).',
  }),
  caddyTls: enumSetting({
    key: 'deploy.caddyTls',
    env: 'HOMEPORT_CADDY_TLS',
    values: ['auto', 'internal', 'off'] as const,
    default: 'auto',
    doc: 'Certificates Caddy serves the hosts with: auto (ACME, issued on demand for hosts of a stage only), internal (Caddy’s local CA), off (plain HTTP).',
  }),
  nginxConfDir: stringSetting({
    key: 'deploy.nginxConfDir',
    env: 'HOMEPORT_NGINX_CONF_DIR',
    default: '/etc/nginx/conf.d/homeport',
    doc: 'Folder of the per-host nginx files when HOMEPORT_DEPLOY_EDGE=nginx (include it from nginx.conf).',
  }),
  room: stringSetting({
    key: 'deploy.room',
    env: 'HOMEPORT_DEPLOY_ROOM',
    pattern: /^[a-z2-7]{20}$/,
    patternHint: 'a bus room id (20 characters a-z, 2-7)',
    doc: 'A bus room that hears how each deploy ended (needs the bus module and HOMEPORT_DEPLOY_ROOM_AS).',
  }),
  roomAs: stringSetting({
    key: 'deploy.roomAs',
    env: 'HOMEPORT_DEPLOY_ROOM_AS',
    doc: 'The account that posts deploy announcements in HOMEPORT_DEPLOY_ROOM, through the browser gateway (it must be a member of the room).',
  }),
  pollMs: durationSetting({
    key: 'deploy.queuePoll',
    env: 'HOMEPORT_DEPLOY_QUEUE_POLL',
    default: '2s',
    minMs: 100,
    doc: 'How often the deploy queue looks for work queued by other replicas and ends grace windows.',
  }),
});

/** The node name deploys are claimed under: the setting, or the host name made into a valid name. */
export function deployNodeName(configured: string | undefined): string {
  return (
    configured ??
    (hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 63) ||
      'local')
  );
}
