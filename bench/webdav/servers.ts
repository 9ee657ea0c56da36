// Starts the four servers of bench/webdav over the same fixtures: Homeport's embedded agent (through an issued
// mount credential), nginx, apache2 mod_dav and rclone serve webdav.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type HomeportInstance,
  startApacheDav,
  startHomeport,
  startNginx,
  startProcess,
  startRcloneServe,
} from '@homeport/testkit';
import { apiCall, exportIdOf } from '../lib/homeport-api.js';
import { logIn } from '../lib/homeport-session.js';
import { type Fixtures, linkFolderInto, UPLOADS_NAME } from './fixtures.js';

/** `node`: the bare node:http ceiling (peer-node.mjs), not a WebDAV server. */
export type ServerName = 'homeport' | 'nginx' | 'apache' | 'rclone' | 'node';

const NODE_PEER_SCRIPT = fileURLToPath(new URL('./peer-node.mjs', import.meta.url));
/** As HOMEPORT_DAV_WORKERS=auto: one per core, at most 8. */
const WORKERS = Math.min(8, availableParallelism());

/** One server as the measurements see it. */
export interface DavServer {
  name: ServerName;
  /** Base URL of the shared files, with a trailing slash: `${filesUrl}big-1g.bin`, `${filesUrl}ten-thousand/`. */
  filesUrl: string;
  /** Headers every request carries (Homeport's Basic mount credential). */
  headers: Record<string, string>;
  /** URL and file on disk of a new upload named `name`. */
  upload(name: string): { url: string; path: string };
  /** How it was started, for the progress output. */
  description: string;
  /** What of its configuration bears on the figures (workers, caches, sendfile, where uploads go), one line. */
  config: string;
  /** Homeport's process id, whose memory (with its worker processes') is sampled during large listings. */
  pid?: number;
  stop(): Promise<unknown>;
}

interface MountProfile {
  mountUrl: string;
  credential: { username: string; password: string };
}

/** Signs in as admin, waits for the embedded agent to report the export, and issues a read-write mount. */
async function issueMount(homeport: HomeportInstance): Promise<MountProfile> {
  const { token } = await logIn(homeport);
  const exportId = await exportIdOf(homeport, token, 'Bench');
  return apiCall<MountProfile>(homeport, '/api/v1/mount-profiles/issue', token, { exportId });
}

export async function startHomeportServer(fixtures: Fixtures, workDir: string): Promise<DavServer> {
  const logFile = join(workDir, 'homeport.log');
  const homeport = await startHomeport({
    env: {
      HOMEPORT_EXPORTS: `${fixtures.root}:Bench`,
      HOMEPORT_RATE_LIMIT_MAX: '0',
      HOMEPORT_LOG_LEVEL: 'warn',
      HOMEPORT_DAV_WORKERS: 'auto', // one WebDAV worker per core (at most 8), as nginx's worker_processes auto
    },
    logFile,
  });
  const profile = await issueMount(homeport);
  const { username, password } = profile.credential;
  return {
    name: 'homeport',
    filesUrl: profile.mountUrl,
    headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    upload: (name) => ({
      url: `${profile.mountUrl}${UPLOADS_NAME}/${name}`,
      path: join(fixtures.root, UPLOADS_NAME, name),
    }),
    description:
      `homeport (pid ${homeport.process.pid}), embedded agent ${profile.mountUrl} with an issued mount ` +
      `credential; HOMEPORT_DAV_WORKERS=auto (one per core, at most 8) HOMEPORT_RATE_LIMIT_MAX=0 HOMEPORT_LOG_LEVEL=warn, output → ${logFile}`,
    config:
      `HOMEPORT_DAV_WORKERS=auto (WebDAV in ${WORKERS} node:cluster workers: one per core, at most 8); small files (<= 64 KiB) ` +
      'kept in memory (32 MiB per worker); PUT written to a hidden temp file 1 MiB at a time on the event loop (the thread pool once a write is slow), renamed into place, no fsync; ' +
      'PROPFIND reads the folder every time (no listing cache)',
    ...(homeport.process.pid === undefined ? {} : { pid: homeport.process.pid }),
    stop: () => homeport.process.stop(),
  };
}

/**
 * The Node.js ceiling: bare node:http in as many node:cluster workers as Homeport's WebDAV, GET (small files
 * from memory) and PUT (streamed to a temp file, renamed) only — what Homeport could reach with no
 * credential check, no WebDAV and no logging.
 */
async function startNodePeer(fixtures: Fixtures): Promise<DavServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const peer = await startProcess(
    process.execPath,
    [NODE_PEER_SCRIPT, String(port), fixtures.root, String(WORKERS)],
    {
      name: 'peer-node',
      ready: { line: /peer-node listening/ },
    },
  );
  return {
    name: 'node',
    filesUrl: url,
    headers: {},
    upload: (name) => ({ url: `${url}${UPLOADS_NAME}/${name}`, path: join(fixtures.uploads, name) }),
    description: `bare node:http (pid ${peer.pid}) ${url}, bench/webdav/peer-node.mjs, ${WORKERS} node:cluster workers`,
    config:
      `the Node.js ceiling, not a WebDAV server: node:http in ${WORKERS} node:cluster workers sharing the port, no ` +
      'authentication, no logging; small files (<= 64 KiB) from memory, large ones streamed (1 MiB reads); PUT piped ' +
      'to a temp file (1 MiB write buffer), renamed into place, no fsync',
    stop: () => peer.stop(),
  };
}

/** The peers, or only the listing ones (apache, rclone) for BENCH_WEBDAV_ONLY=propfind. */
export async function startPeers(fixtures: Fixtures, listingsOnly = false): Promise<DavServer[]> {
  const apache = await startApacheDav();
  linkFolderInto(fixtures.folder, apache.davDir);
  linkFolderInto(fixtures.hugeFolder, apache.davDir);
  const rclone = await startRcloneServe(fixtures.root);
  const listers: DavServer[] = [
    {
      name: 'apache',
      filesUrl: apache.url,
      headers: {},
      upload: (name) => ({ url: `${apache.url}${name}`, path: join(apache.davDir, name) }),
      description: `apache2 mod_dav (pid ${apache.daemon.pid}) ${apache.url}, shared/peers/apache-dav.conf.template, the folders hard-linked into its DocumentRoot`,
      config:
        'event MPM, StartServers 2 x ThreadsPerChild 25, EnableSendfile On, mod_dav_fs (DBM lock database, per-file dead ' +
        'property database looked up per member), no listing cache',
      stop: () => apache.daemon.stop(),
    },
    {
      name: 'rclone',
      filesUrl: rclone.url,
      headers: {},
      upload: (name) => ({ url: `${rclone.url}${UPLOADS_NAME}/${name}`, path: join(fixtures.uploads, name) }),
      description: `rclone serve webdav (pid ${rclone.process.pid}) ${rclone.url}, defaults`,
      config:
        'defaults: one Go process (GOMAXPROCS = 2 cores), VFS cache mode off (files read straight from disk), directory ' +
        'listings cached 5 min (--dir-cache-time), so after the warm-up its PROPFIND answers from memory',
      stop: () => rclone.process.stop(),
    },
  ];
  if (listingsOnly) return listers;
  // open_file_cache: Homeport keeps small files in memory, so nginx gets its own cache of open files too.
  const nginx = await startNginx({ serve: fixtures.root, openFileCache: true });
  const node = await startNodePeer(fixtures);
  return [
    node,
    {
      name: 'nginx',
      filesUrl: `${nginx.url}/`,
      headers: {},
      upload: (name) => ({ url: `${nginx.davUrl}${name}`, path: join(nginx.uploadDir, name) }),
      description: `nginx (pid ${nginx.daemon.pid}) ${nginx.url}, shared/peers/nginx.conf.template + open_file_cache, root → the files`,
      config:
        'worker_processes auto (2), sendfile on, tcp_nopush on, open_file_cache max=10000 inactive=60s valid=30s; ' +
        'PUT: the body is buffered in client_body_buffer_size (16 KiB default) and written to a temp file, renamed into place, no fsync',
      stop: () => nginx.daemon.stop(),
    },
    ...listers,
  ];
}
