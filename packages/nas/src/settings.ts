// Settings of the NAS control plane and of the agent (with betterNAS's names as aliases).

import {
  boolSetting,
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

export const nasSettings = defineSettings({
  nodeBootstrapToken: stringSetting({
    key: 'nas.nodeBootstrapToken',
    env: 'HOMEPORT_NODE_BOOTSTRAP_TOKEN',
    aliases: ['BETTERNAS_CONTROL_PLANE_NODE_BOOTSTRAP_TOKEN'],
    minLength: 16,
    secret: true,
    doc: 'Token agents present to register a node (generated into the data dir when unset). At least 16 characters.',
  }),
  nodeOfflineThreshold: durationSetting({
    key: 'nas.nodeOfflineThreshold',
    env: 'HOMEPORT_NODE_OFFLINE_THRESHOLD',
    default: '2m',
    minMs: 1000,
    doc: 'A node without a heartbeat for this long is offline (half of it: degraded).',
  }),
  davAuthSecret: stringSetting({
    key: 'nas.davAuthSecret',
    env: 'HOMEPORT_DAV_AUTH_SECRET',
    minLength: 16,
    secret: true,
    doc: 'Root of the per-node keys Homeport agents verify mount credentials with (generated into the data dir when unset). Never given to an agent.',
  }),
  betternasDavAuthSecret: stringSetting({
    key: 'nas.betternasDavAuthSecret',
    env: 'BETTERNAS_DAV_AUTH_SECRET',
    aliases: ['HOMEPORT_BETTERNAS_DAV_AUTH_SECRET'],
    minLength: 16,
    secret: true,
    doc: 'The shared secret betterNAS agents verify mount credentials with (their BETTERNAS_DAV_AUTH_SECRET). Needed only for nodes running a betterNAS agent; must differ from HOMEPORT_DAV_AUTH_SECRET.',
  }),
  defaultAccess: enumSetting({
    key: 'nas.defaultAccess',
    env: 'HOMEPORT_NAS_DEFAULT_ACCESS',
    values: ['none', 'read-only', 'read-write'] as const,
    doc: 'What a member gets on an export nobody shared with them: none (default), read-only, or read-write (every member sees and mounts every export, as in betterNAS). Editable in Settings → Storage unless set here.',
  }),
  nextcloudBaseUrl: urlSetting({
    key: 'nas.nextcloudBaseUrl',
    env: 'HOMEPORT_NEXTCLOUD_BASE_URL',
    aliases: ['BETTERNAS_NEXTCLOUD_BASE_URL'],
    doc: "Nextcloud with betterNAS's control-plane app, for cloud profiles (POST /api/v1/cloud-profiles/issue) and /health.",
  }),
  davCredentialTtl: durationSetting({
    key: 'nas.davCredentialTtl',
    env: 'HOMEPORT_DAV_CREDENTIAL_TTL',
    aliases: ['BETTERNAS_DAV_CREDENTIAL_TTL'],
    default: '24h',
    minMs: 60_000,
    doc: 'How long an issued mount credential works.',
  }),
});

/** `auto` never starts more WebDAV workers than this, however many cores the machine has. */
export const MAX_AUTO_DAV_WORKERS = 8;
/** An explicit worker count above this is refused: each worker is a Node process (~50 MB). */
export const MAX_DAV_WORKERS = 64;

/** HOMEPORT_DAV_WORKERS: a whole number from 1 to MAX_DAV_WORKERS, or `auto` (one per core, capped). */
const davWorkersSetting: Setting<number | 'auto'> = {
  key: 'agent.davWorkers',
  env: 'HOMEPORT_DAV_WORKERS',
  doc: `WebDAV worker processes: 1 serves in the agent's own process; more (or \`auto\`: one per core, at most ${MAX_AUTO_DAV_WORKERS}) start node:cluster workers sharing the port, while the agent process keeps the control-plane link.`,
  defaultValue: 1,
  defaultText: '1',
  parse(raw) {
    const text = (typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '').trim();
    if (text === 'auto') return 'auto';
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_DAV_WORKERS)
      throw new SettingProblem(`must be auto or a whole number from 1 to ${MAX_DAV_WORKERS}`);
    return Number(text);
  },
};

export const agentSettings = defineSettings({
  controlPlaneUrl: urlSetting({
    key: 'agent.controlPlaneUrl',
    env: 'HOMEPORT_CONTROL_PLANE_URL',
    aliases: ['BETTERNAS_CONTROL_PLANE_URL'],
    flag: 'control-plane',
    doc: 'Control plane the agent registers with (`homeport agent`; the embedded agent uses its own server).',
  }),
  machineId: stringSetting({
    key: 'agent.machineId',
    env: 'HOMEPORT_MACHINE_ID',
    flag: 'machine-id',
    pattern: /^[A-Za-z0-9._-]{1,128}$/,
    patternHint: '1–128 characters of A–Z, a–z, 0–9, . _ -',
    doc: 'Stable id of this machine (generated and kept in the agent state dir when unset).',
  }),
  nodeName: stringSetting({
    key: 'agent.name',
    env: 'HOMEPORT_NODE_NAME',
    flag: 'name',
    doc: 'Display name of the node (default: the host name).',
  }),
  exports: listSetting({
    key: 'agent.exports',
    env: 'HOMEPORT_EXPORTS',
    flag: 'export',
    doc: 'Folders to export, `path[:label]`, comma-separated (embedded agent default: `<data-dir>/files`).',
  }),
  exportRoots: listSetting({
    key: 'agent.exportRoots',
    env: 'HOMEPORT_EXPORT_ROOTS',
    flag: 'export-root',
    doc: 'Absolute folders inside which admins may add exports from the web UI, comma-separated, e.g. `/srv/nas` (never one holding the data or agent state dir). Unset: exports come from HOMEPORT_EXPORTS only. The agent checks every folder it is asked for itself.',
  }),
  listen: stringSetting({
    key: 'agent.listen',
    env: 'HOMEPORT_AGENT_LISTEN',
    flag: 'listen',
    pattern: /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
    patternHint: 'host:port, like 127.0.0.1:8090',
    doc: 'Where the agent serves WebDAV (default 127.0.0.1:8090; the embedded agent uses --bind and port 8090).',
  }),
  advertiseUrl: urlSetting({
    key: 'agent.advertiseUrl',
    env: 'HOMEPORT_AGENT_ADVERTISE_URL',
    flag: 'advertise-url',
    doc: 'Direct address clients mount from (default: http://<listen>).',
  }),
  heartbeatInterval: durationSetting({
    key: 'agent.heartbeatInterval',
    env: 'HOMEPORT_HEARTBEAT_INTERVAL',
    flag: 'heartbeat-interval',
    default: '30s',
    minMs: 100,
    doc: 'How often the agent reports to the control plane.',
  }),
  stateDir: stringSetting({
    key: 'agent.stateDir',
    env: 'HOMEPORT_AGENT_STATE_DIR',
    flag: 'state-dir',
    doc: 'Agent state: machine id, node token, locks and properties (default ./homeport-agent; embedded: <data-dir>/agent).',
  }),
  embedded: boolSetting({
    key: 'agent.embedded',
    env: 'HOMEPORT_EMBEDDED_AGENT',
    default: true,
    doc: '`homeport start` also runs an agent exporting HOMEPORT_EXPORTS (default `<data-dir>/files`).',
  }),
  davPort: intSetting({
    key: 'agent.davPort',
    env: 'HOMEPORT_DAV_PORT',
    flag: 'dav-port',
    default: 8090,
    min: 0,
    max: 65535,
    doc: 'Port of the embedded agent’s WebDAV server (0 picks a free port).',
  }),
  davWorkers: davWorkersSetting,
});
