// Test images built without Docker: layers written as tar.gz in Node (busybox-static, or the host's node), an
// image config and a schema2 manifest, pushed through the registry HTTP API. Images cannot come from the internet
// here, and building them this way needs no engine.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { NODE_APP_SERVER, nodeRuntimeEntries } from './images/node-app.js';
import { type TarEntry, tarArchive } from './images/tar.js';
import { requireCommand } from './require-command.js';

export type TestImageVariant = 'http' | 'unhealthy' | 'crash' | 'slow-start' | 'node';

export interface TestImageHealthcheck {
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export interface PushTestImageOptions {
  repository: string;
  tag: string;
  /**
   * - `http` (default): busybox httpd on 127.0.0.1:$PORT serving /www (index.html holds the version, the health
   *   path answers `ok`); prints one line on stdout and one on stderr at start, exits 0 on SIGTERM.
   * - `unhealthy`: the same without the health file (the health path answers 404).
   * - `crash`: prints a line on stderr and exits with `exitCode` at once.
   * - `slow-start`: waits `startDelaySec` before serving like `http`.
   * - `node`: the host's node running an app with `/`, the health path, `/sse` and `/ws` (see node-app.ts).
   */
  variant?: TestImageVariant;
  /** Served on `/` and carried in SSE/WebSocket messages (default: the tag). Same inputs give the same digest. */
  version?: string;
  /** Default `/health`. */
  healthPath?: string;
  /** An image HEALTHCHECK probing the health path with wget (`true` for 1 s interval, 1 s timeout, 2 retries). */
  healthcheck?: boolean | TestImageHealthcheck;
  /** `slow-start` only (default 3). */
  startDelaySec?: number;
  /** `crash` only (default 3). */
  exitCode?: number;
  /** Extra image Env, over the variant's own. */
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** Replaces the variant's command. */
  cmd?: string[];
}

export interface PushedTestImage {
  /** The manifest digest, `sha256:…`. */
  digest: string;
  /** `127.0.0.1:<port>/<repository>@sha256:…`. */
  reference: string;
  configDigest: string;
}

/** What pushTestImage needs of a registry; a RegistryInstance fits. */
export interface TestImageRegistry {
  url: string;
  host: string;
  auth?: { user: string; password: string } | undefined;
}

interface Blob {
  digest: string;
  size: number;
  content: Buffer;
}

interface Layer extends Blob {
  /** sha256 of the uncompressed tar, for the config's rootfs.diff_ids. */
  diffId: string;
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
const LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
// Fixed, so the same inputs always give the same digest.
const CREATED = '2023-11-14T22:13:20Z';

const HTTP_SCRIPT = `: "\${PORT:?PORT must be set}"
echo "test image $APP_VERSION starting on 127.0.0.1:$PORT"
echo "test image $APP_VERSION stderr line" >&2
trap 'echo "test image $APP_VERSION stopping"; exit 0' TERM INT
if [ -n "$START_DELAY" ]; then sleep "$START_DELAY" & wait $!; fi
httpd -f -p "127.0.0.1:$PORT" -h /www &
wait $!
`;
// Shell scripts read their values from Env: nothing from the options is pasted into a command line.
const CRASH_SCRIPT = `echo "test image $APP_VERSION crashing with exit code $EXIT_CODE" >&2
exit "$EXIT_CODE"
`;
const HEALTH_SCRIPT = 'wget -q -O /dev/null "http://127.0.0.1:$PORT$HEALTH_PATH" || exit 1';

function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function blob(content: Buffer): Blob {
  return { digest: sha256(content), size: content.length, content };
}

function layer(entries: readonly TarEntry[], level: number): Layer {
  const tar = tarArchive(entries);
  return { ...blob(gzipSync(tar, { level })), diffId: sha256(tar) };
}

// Built once per process: the busybox layer is small, the node one ~35 MB compressed.
let busyboxLayer: Layer | undefined;
let nodeLayer: Layer | undefined;

function baseLayer(): Layer {
  if (busyboxLayer) return busyboxLayer;
  const busybox = requireCommand('/usr/bin/busybox', 'busybox-static');
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => /^[a-z0-9_.[-]+$/.test(name) && name !== 'busybox');
  busyboxLayer = layer(
    [
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', content: readFileSync(busybox), mode: 0o755 },
      ...applets.map((name): TarEntry => ({ type: 'symlink', path: `bin/${name}`, target: 'busybox' })),
      { type: 'dir', path: 'etc' },
      {
        type: 'file',
        path: 'etc/passwd',
        content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
      },
      { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
      { type: 'dir', path: 'root', mode: 0o700 },
      { type: 'dir', path: 'tmp', mode: 0o1777 },
    ],
    6,
  );
  return busyboxLayer;
}

function nodeRuntimeLayer(): Layer {
  // Level 1: the node binary is ~100 MB and this runs inside a test's time budget.
  nodeLayer ??= layer(nodeRuntimeEntries(), 1);
  return nodeLayer;
}

function appLayer(variant: TestImageVariant, version: string, healthPath: string): Layer {
  const entries: TarEntry[] = [
    { type: 'dir', path: 'www' },
    { type: 'file', path: 'www/index.html', content: `${version}\n` },
  ];
  if (variant !== 'unhealthy') {
    const parts = healthPath.split('/').filter((part) => part !== '');
    for (let i = 1; i < parts.length; i += 1)
      entries.push({ type: 'dir', path: `www/${parts.slice(0, i).join('/')}` });
    entries.push({ type: 'file', path: `www/${parts.join('/')}`, content: 'ok\n' });
  }
  if (variant === 'node') {
    entries.push(
      { type: 'dir', path: 'app' },
      { type: 'file', path: 'app/server.js', content: NODE_APP_SERVER },
    );
  }
  return layer(entries, 6);
}

function durationNs(ms: number): number {
  return ms * 1_000_000;
}

function imageConfig(options: PushTestImageOptions, layers: readonly Layer[]): Record<string, unknown> {
  const variant = options.variant ?? 'http';
  const version = options.version ?? options.tag;
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/bin',
    APP_VERSION: version,
    HEALTH_PATH: options.healthPath ?? '/health',
  };
  if (variant === 'slow-start') env.START_DELAY = String(options.startDelaySec ?? 3);
  if (variant === 'crash') env.EXIT_CODE = String(options.exitCode ?? 3);
  Object.assign(env, options.env);
  const cmd =
    options.cmd ??
    (variant === 'node'
      ? ['/usr/local/bin/node', '/app/server.js']
      : ['/bin/sh', '-c', variant === 'crash' ? CRASH_SCRIPT : HTTP_SCRIPT]);
  const config: Record<string, unknown> = {
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Cmd: cmd,
    WorkingDir: '/',
    Labels: { 'org.opencontainers.image.version': version, ...options.labels },
  };
  if (options.healthcheck) {
    const check = options.healthcheck === true ? {} : options.healthcheck;
    config.Healthcheck = {
      Test: ['CMD-SHELL', HEALTH_SCRIPT],
      Interval: durationNs(check.intervalMs ?? 1000),
      Timeout: durationNs(check.timeoutMs ?? 1000),
      Retries: check.retries ?? 2,
      StartPeriod: durationNs(check.startPeriodMs ?? 0),
    };
  }
  return {
    architecture: 'amd64',
    os: 'linux',
    created: CREATED,
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((item) => item.diffId) },
    history: layers.map(() => ({ created: CREATED, created_by: 'homeport testkit' })),
  };
}

// Where each blob already is, per registry URL, so a big layer is uploaded once and mounted into other repositories.
const uploaded = new Map<string, Map<string, string>>();

function headers(registry: TestImageRegistry, extra: Record<string, string> = {}): Record<string, string> {
  if (!registry.auth) return extra;
  const basic = Buffer.from(`${registry.auth.user}:${registry.auth.password}`).toString('base64');
  return { authorization: `Basic ${basic}`, ...extra };
}

async function failure(what: string, response: Response): Promise<Error> {
  return new Error(`pushTestImage: ${what} answered ${response.status}: ${await response.text()}`);
}

async function uploadBlob(registry: TestImageRegistry, repository: string, item: Blob): Promise<void> {
  const base = `${registry.url}/v2/${repository}/blobs`;
  const head = await fetch(`${base}/${item.digest}`, { method: 'HEAD', headers: headers(registry) });
  if (head.ok) return;
  const known = uploaded.get(registry.url);
  const from = known?.get(item.digest);
  const start = new URL(`${base}/uploads/`);
  if (from !== undefined && from !== repository) {
    start.searchParams.set('mount', item.digest);
    start.searchParams.set('from', from);
  }
  const started = await fetch(start, { method: 'POST', headers: headers(registry) });
  await started.arrayBuffer();
  if (started.status === 201) return;
  if (started.status !== 202) throw await failure(`POST ${start.pathname}`, started);
  const location = started.headers.get('location');
  if (!location) throw new Error('pushTestImage: blob upload answered 202 without a Location');
  const target = new URL(location, registry.url);
  target.searchParams.set('digest', item.digest);
  const put = await fetch(target, {
    method: 'PUT',
    headers: headers(registry, { 'content-type': 'application/octet-stream' }),
    body: item.content,
  });
  if (put.status !== 201) throw await failure(`PUT blob ${item.digest}`, put);
  await put.arrayBuffer();
  if (!known) uploaded.set(registry.url, new Map([[item.digest, repository]]));
  else known.set(item.digest, repository);
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Builds a test image (see `variant`) and pushes it as `repository:tag`; resolves with its manifest digest and a
 * `host/repository@digest` reference. Layers are cached per process and uploaded once per registry.
 *
 * @example
 *   const v1 = await pushTestImage(registry, { repository: 'shop/web', tag: 'v1' });
 *   // run v1.reference with PORT=<port> and host networking: GET / answers "v1"
 */
export async function pushTestImage(
  registry: TestImageRegistry,
  options: PushTestImageOptions,
): Promise<PushedTestImage> {
  if (!REPOSITORY.test(options.repository))
    throw new TypeError(`pushTestImage: bad repository ${options.repository}`);
  if (!TAG.test(options.tag)) throw new TypeError(`pushTestImage: bad tag ${options.tag}`);
  const healthPath = options.healthPath ?? '/health';
  if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(healthPath) || healthPath.includes('..'))
    throw new TypeError(`pushTestImage: bad health path ${healthPath}`);
  const variant = options.variant ?? 'http';
  const layers = [
    baseLayer(),
    ...(variant === 'node' ? [nodeRuntimeLayer()] : []),
    appLayer(variant, options.version ?? options.tag, healthPath),
  ];
  const config = blob(Buffer.from(JSON.stringify(imageConfig(options, layers))));
  for (const item of [...layers, config]) await uploadBlob(registry, options.repository, item);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: CONFIG_TYPE, size: config.size, digest: config.digest },
      layers: layers.map((item) => ({ mediaType: LAYER_TYPE, size: item.size, digest: item.digest })),
    }),
  );
  const put = await fetch(`${registry.url}/v2/${options.repository}/manifests/${options.tag}`, {
    method: 'PUT',
    headers: headers(registry, { 'content-type': MANIFEST_TYPE }),
    body: manifest,
  });
  if (put.status !== 201) throw await failure(`PUT manifest ${options.repository}:${options.tag}`, put);
  await put.arrayBuffer();
  const digest = sha256(manifest);
  const answered = put.headers.get('docker-content-digest');
  if (answered !== null && answered !== digest)
    throw new Error(`pushTestImage: registry stored ${answered}, expected ${digest}`);
  return {
    digest,
    reference: `${registry.host}/${options.repository}@${digest}`,
    configDigest: config.digest,
  };
}
