// Test support: a plain node:http server on a free loopback port serving createDavHandler over a temp folder,
// and a raw request helper that sends the request target byte for byte (fetch would normalise '..' away).

import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { openDatabase, type SqliteDatabase } from '@homeport/core';
import { freePort, tempDir } from '@homeport/testkit';
import {
  createDavHandler,
  type DavHandlerOptions,
  type DavState,
  openDavState,
} from '../../src/agent/dav/index.js';

export const PREFIX = '/dav/exports/exp_test/';

export interface DavTestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** origin + PREFIX */
  url: string;
  port: number;
  /** The export root on disk. */
  root: string;
  db: SqliteDatabase;
  state: DavState;
  close(): Promise<void>;
}

export interface StartOptions {
  root?: string;
  /**
   * The scope's readonly flag. The principal comes from the `x-test-principal` header, else 'alice';
   * `x-test-admin: yes` makes it an admin (mayBreakLocks).
   */
  readonly?: boolean;
  /** An existing database, to check that state outlives a handler. */
  db?: SqliteDatabase;
  handler?: Partial<Omit<DavHandlerOptions, 'root' | 'state'>>;
  /** Sees every request before the handler does (to watch a response's backpressure, say). */
  onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

export async function startDavServer(options: StartOptions = {}): Promise<DavTestServer> {
  const root = options.root ?? tempDir('homeport-dav-');
  const db = options.db ?? openDatabase(':memory:');
  const state = openDavState(db);
  const dav = createDavHandler({ root, state, ...options.handler });
  const server: Server = createServer((req, res) => {
    options.onRequest?.(req, res);
    const principal = req.headers['x-test-principal'];
    void dav(req, res, {
      prefix: PREFIX,
      readonly: options.readonly ?? false,
      principal: typeof principal === 'string' ? principal : 'alice',
      mayBreakLocks: req.headers['x-test-admin'] === 'yes',
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: `${origin}${PREFIX}`,
    port,
    root,
    db,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** Sends one request with `path` used verbatim as the request target. */
export function send(
  server: Pick<DavTestServer, 'port'>,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buffer,
            text: buffer.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** PROPFIND body asking for the named DAV: properties. */
export function propfindBody(...names: string[]): string {
  return `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>${names.map((n) => `<D:${n}/>`).join('')}</D:prop></D:propfind>`;
}

export const LOCK_EXCLUSIVE =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype><D:owner>tester</D:owner></D:lockinfo>';

export const LOCK_SHARED =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype><D:owner>tester</D:owner></D:lockinfo>';

/** The token of a LOCK response's Lock-Token header, without angle brackets. */
export function lockTokenOf(response: RawResponse): string {
  const header = response.headers['lock-token'];
  const token = typeof header === 'string' ? /^<(.+)>$/.exec(header)?.[1] : undefined;
  if (token === undefined)
    throw new Error(`no Lock-Token in a ${response.status} response: ${response.text}`);
  return token;
}
