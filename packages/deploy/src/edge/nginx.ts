// The nginx edge (for people coming from Nginx Proxy Manager): one `server` file per host in a folder the
// operator includes from nginx.conf, written atomically, checked with `nginx -t` and applied by a graceful
// reload; when nginx refuses, the previous files are put back, so what was serving keeps serving.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Logger } from '@homeport/core';
import { DeployError } from '../errors.js';
import { edgeHostName, edgeHostSet } from './host-name.js';
import { COMMON_FILE, commonConfig, hostConfig, hostFile, hostOfFile } from './nginx-config.js';
import { type NginxCommand, nginxReload } from './nginx-reload.js';
import type { EdgeDriver } from './types.js';

export interface NginxEdgeOptions {
  /** A folder nginx.conf includes inside its `http` block: `include /etc/nginx/homeport/*.conf;`. */
  confDir: string;
  /** The built-in proxy, `127.0.0.1:<port>`. */
  proxyUpstream: string;
  /** `listen` arguments per server block, e.g. `['80']` or `['127.0.0.1:8080']`. */
  listen: readonly string[];
  /** Applies the files; default `nginx -t` then `nginx -s reload` with `nginx`. A throw means "not applied". */
  reload?: () => Promise<void>;
  /** Binary and leading arguments of the default reload. */
  nginx?: NginxCommand;
  log: Logger;
}

const UPSTREAM = /^(?:127(?:\.\d{1,3}){3}|\[::1\]|localhost):\d{1,5}$/;
const LISTEN = /^(?:\d{1,5}|(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\]|localhost):\d{1,5})$/;

/** A file to write (`content`) or remove (`null`). */
interface FileChange {
  name: string;
  content: string | null;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Temp file then rename: nginx (or an operator's `nginx -t`) never reads half a file. */
async function writeAtomically(path: string, content: string): Promise<void> {
  // Not `*.conf`, so an include glob never picks the temp file up.
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode: 0o644, flag: 'wx' });
  await rename(temp, path);
}

async function put(path: string, content: string | null): Promise<void> {
  if (content !== null) await writeAtomically(path, content);
  else
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
}

export function createNginxEdge(options: NginxEdgeOptions): EdgeDriver {
  if (!isAbsolute(options.confDir)) throw new TypeError(`nginx confDir must be absolute: ${options.confDir}`);
  if (!UPSTREAM.test(options.proxyUpstream)) {
    throw new TypeError(
      `nginx proxyUpstream must be <loopback address>:<port>, got ${options.proxyUpstream}`,
    );
  }
  if (options.listen.length === 0 || !options.listen.every((address) => LISTEN.test(address))) {
    throw new TypeError(
      `nginx listen must be port or address:port values, got ${JSON.stringify(options.listen)}`,
    );
  }
  const reload = options.reload ?? nginxReload(options.nginx);
  const log = options.log.child({ edge: 'nginx' });
  const render = (host: string) => hostConfig(host, options.listen, options.proxyUpstream);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Writes what differs, reloads once; on a refusal puts every file back as it was and throws edge_failed. */
  const apply = async (wanted: FileChange[]): Promise<number> => {
    await mkdir(options.confDir, { recursive: true });
    const done: FileChange[] = [];
    for (const change of wanted) {
      const path = join(options.confDir, change.name);
      const previous = await readOrNull(path);
      if (previous === change.content) continue;
      await put(path, change.content);
      done.push({ name: change.name, content: previous });
    }
    if (done.length === 0) return 0;
    try {
      await reload();
    } catch (error) {
      for (const undo of done.reverse()) await put(join(options.confDir, undo.name), undo.content);
      const message = error instanceof Error ? error.message : String(error);
      log.warn(
        { files: wanted.map((c) => c.name), err: message },
        'nginx refused the edge change; previous files restored',
      );
      throw new DeployError('edge_failed', `nginx refused the change, previous config kept: ${message}`, {
        cause: error,
      });
    }
    return done.length;
  };

  const common = (): FileChange => ({ name: COMMON_FILE, content: commonConfig() });

  return {
    kind: 'nginx',
    sync: async (list) => {
      const hosts = edgeHostSet(list);
      return serial(async () => {
        await mkdir(options.confDir, { recursive: true });
        const stale = (await readdir(options.confDir))
          .filter((name) => {
            const host = hostOfFile(name);
            return host !== undefined && !hosts.includes(host);
          })
          .map((name): FileChange => ({ name, content: null }));
        const changed = await apply([
          common(),
          ...hosts.map((host): FileChange => ({ name: hostFile(host), content: render(host) })),
          ...stale,
        ]);
        if (changed > 0) log.info({ hosts, changed }, 'nginx edge synced');
      });
    },
    addHost: async (value) => {
      const host = edgeHostName(value);
      return serial(async () => {
        if ((await apply([common(), { name: hostFile(host), content: render(host) }])) > 0) {
          log.info({ host }, 'edge host added');
        }
      });
    },
    removeHost: async (value) => {
      const host = edgeHostName(value);
      return serial(async () => {
        if ((await apply([{ name: hostFile(host), content: null }])) > 0)
          log.info({ host }, 'edge host removed');
      });
    },
    close: async () => {
      await serial(async () => {});
    },
  };
}
