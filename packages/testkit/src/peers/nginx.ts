// nginx (Debian `nginx-extras`) as the static-file and WebDAV-PUT peer of the benchmarks, with the peer
// configuration measured in shared/peers/nginx.conf.template: sendfile, one worker per core, access log off.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { childrenOf, type Daemon, startPidFileDaemon } from '../process/pid-file-daemon.js';
import { requireCommand } from '../require-command.js';
import { tempDir } from '../temp-dir.js';

export interface StartNginxOptions {
  /**
   * A folder to serve read-only at `/`: `<root>/data` becomes a symlink to it (nginx follows symlinks by
   * default). Without it `<root>/data` is an empty folder to fill.
   */
  serve?: string;
  /**
   * Cache open file descriptors and their metadata (`open_file_cache`), as a tuned nginx serving many small
   * files does. The benchmarks turn it on where Homeport has its own small-file cache. Default off.
   */
  openFileCache?: boolean;
  /**
   * A glob included inside the `http` block after the peer's server (which stays the default server for
   * unknown names), e.g. the deploy edge's `<folder>/*.conf`.
   */
  include?: string;
}

export interface NginxInstance {
  /** `http://127.0.0.1:<port>`, no trailing slash; files of `dataDir` are at `/<name>`. */
  url: string;
  /** `<url>/dav/`: PUT, DELETE, MKCOL, COPY and MOVE land in `uploadDir`. */
  davUrl: string;
  port: number;
  /** The prefix folder (`-p`): config, logs, pid file, temp files. */
  root: string;
  dataDir: string;
  uploadDir: string;
  daemon: Daemon;
  /**
   * The master's children now: its workers, and after a reload also the previous ones until they exit.
   * A reload is complete for every new connection once none of the PIDs from before it is left.
   */
  workers(): number[];
}

/** The `open_file_cache` lines of a tuned nginx: descriptors, sizes and mtimes kept 60 s, checked every 30 s. */
const OPEN_FILE_CACHE = `
  open_file_cache max=10000 inactive=60s;
  open_file_cache_valid 30s;
  open_file_cache_min_uses 1;
  open_file_cache_errors on;`;

/**
 * The peer configuration, as in shared/peers/nginx.conf.template (`__ROOT__`, `__PORT__` filled in), plus
 * `open_file_cache` when asked for.
 */
export function nginxConfig(
  root: string,
  port: number,
  options: { openFileCache?: boolean; include?: string } = {},
): string {
  return `user root;
worker_processes auto;
pid ${root}/run/nginx.pid;
error_log ${root}/logs/nginx_error.log warn;
daemon on;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;${options.openFileCache ? OPEN_FILE_CACHE : ''}
  client_body_temp_path ${root}/tmp;
  proxy_temp_path ${root}/tmp;
  fastcgi_temp_path ${root}/tmp;
  uwsgi_temp_path ${root}/tmp;
  scgi_temp_path ${root}/tmp;
  server {
    listen 127.0.0.1:${port};
    root ${root}/data;
    location /dav/ {
      alias ${root}/upload/;
      dav_methods PUT DELETE MKCOL COPY MOVE;
      create_full_put_path on;
      client_max_body_size 0;
    }
  }${options.include === undefined ? '' : `\n  include ${options.include};`}
}
`;
}

/**
 * Starts nginx on a free loopback port under a new temp dir; it daemonizes and is stopped by the PID in its
 * pid file (`daemon.stop()` or `stopAll()`).
 *
 * @example
 *   const nginx = await startNginx({ serve: filesDir });
 *   // GET `${nginx.url}/big.bin`, PUT `${nginx.davUrl}new.bin`
 *   await nginx.daemon.stop();
 */
export async function startNginx(options: StartNginxOptions = {}): Promise<NginxInstance> {
  const nginx = requireCommand('nginx', 'nginx-extras');
  const root = tempDir('homeport-nginx-');
  for (const folder of ['run', 'logs', 'tmp', 'upload']) mkdirSync(join(root, folder));
  const dataDir = join(root, 'data');
  if (options.serve === undefined) mkdirSync(dataDir);
  else symlinkSync(options.serve, dataDir);
  const port = await freePort();
  const config = join(root, 'nginx.conf');
  writeFileSync(
    config,
    nginxConfig(root, port, {
      openFileCache: options.openFileCache === true,
      ...(options.include === undefined ? {} : { include: options.include }),
    }),
  );
  const errorLog = join(root, 'logs', 'nginx_error.log');
  const url = `http://127.0.0.1:${port}`;
  // -e: the log of start-up errors goes under the prefix too, not to /var/log/nginx.
  const daemon = await startPidFileDaemon(nginx, ['-c', config, '-p', `${root}/`, '-e', errorLog], {
    name: 'nginx',
    pidFile: join(root, 'run', 'nginx.pid'),
    readyUrl: `${url}/`,
    logFile: errorLog,
  });
  return {
    url,
    davUrl: `${url}/dav/`,
    port,
    root,
    dataDir,
    uploadDir: join(root, 'upload'),
    daemon,
    workers: () => childrenOf(daemon.pid),
  };
}
