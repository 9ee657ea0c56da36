// apache2 with mod_dav (Debian `apache2`) as the WebDAV peer of the benchmarks and the reference server of
// litmus, with the configuration in shared/peers/apache-dav.conf.template: event MPM, sendfile, DAV On at `/`.

import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestkitError } from '../errors.js';
import { freePort } from '../free-port.js';
import { type Daemon, startPidFileDaemon } from '../process/pid-file-daemon.js';
import { requireCommand } from '../require-command.js';
import { tempDir } from '../temp-dir.js';

export interface ApacheDavInstance {
  /** `http://127.0.0.1:<port>/`, the WebDAV root (`davDir`), with its trailing slash. */
  url: string;
  port: number;
  /** The ServerRoot: config, logs, pid file, lock database. */
  root: string;
  /**
   * The DocumentRoot, served with `Dav On`. Files put there must be readable by www-data (the server drops
   * to it when started as root); hard links keep another folder's inodes without a copy.
   */
  davDir: string;
  daemon: Daemon;
}

/** The peer configuration, as in shared/peers/apache-dav.conf.template (`__ROOT__`, `__PORT__` filled in). */
export function apacheDavConfig(root: string, port: number): string {
  return `ServerRoot ${root}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${root}/run/httpd.pid
DefaultRuntimeDir ${root}/run
Mutex file:${root}/run default
ErrorLog ${root}/logs/apache_error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule dav_module /usr/lib/apache2/modules/mod_dav.so
LoadModule dav_fs_module /usr/lib/apache2/modules/mod_dav_fs.so
TypesConfig /etc/mime.types
EnableSendfile On
KeepAlive On
MaxKeepAliveRequests 0
StartServers 2
ThreadsPerChild 25
MaxRequestWorkers 150
DAVLockDB ${root}/lock/DAVLock
DocumentRoot ${root}/dav
<Directory ${root}/dav>
  Dav On
  Require all granted
  Options None
  AllowOverride None
</Directory>
LimitRequestBody 0
`;
}

/** uid and gid of `name` from /etc/passwd, or undefined when there is no such user. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return undefined;
}

/**
 * Starts `apache2 -f <conf> -k start` on a free loopback port under a new temp dir; it daemonizes and is
 * stopped by the PID in its pid file (`daemon.stop()` or `stopAll()`).
 *
 * @example
 *   const apache = await startApacheDav();
 *   linkSync(join(files, 'a.txt'), join(apache.davDir, 'a.txt'));
 *   await fetch(apache.url, { method: 'PROPFIND', headers: { Depth: '1' } });
 */
export async function startApacheDav(): Promise<ApacheDavInstance> {
  const apache2 = requireCommand('apache2', 'apache2');
  const root = tempDir('homeport-apache-');
  const davDir = join(root, 'dav');
  for (const folder of ['run', 'logs', 'lock', 'dav']) mkdirSync(join(root, folder));
  if (process.getuid?.() === 0) {
    // Its children run as www-data: they must reach the DocumentRoot, write in it and keep the lock database.
    const user = systemUser('www-data');
    if (user === undefined)
      throw new TestkitError('startup_failed', 'apache2 runs its children as www-data: no such user here');
    chmodSync(root, 0o755);
    chownSync(davDir, user.uid, user.gid);
    chownSync(join(root, 'lock'), user.uid, user.gid);
  }
  const port = await freePort();
  const config = join(root, 'apache2.conf');
  writeFileSync(config, apacheDavConfig(root, port));
  const url = `http://127.0.0.1:${port}/`;
  const daemon = await startPidFileDaemon(apache2, ['-f', config, '-k', 'start'], {
    name: 'apache2',
    pidFile: join(root, 'run', 'httpd.pid'),
    readyUrl: url,
    logFile: join(root, 'logs', 'apache_error.log'),
  });
  return { url, port, root, davDir, daemon };
}
