// A small client for Caddy's admin API: loopback only (it changes what the edge serves, and it has no auth),
// bounded answers, a timeout per request, and every failure a DeployError `edge_failed` carrying Caddy's text.

import { request } from 'node:http';
import { isLoopbackAddress } from '@homeport/core';
import { DeployError } from '../errors.js';

export type AdminMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface AdminAnswer {
  status: number;
  text: string;
}

/** One admin request; rejects only when no answer came (connection, timeout, size). */
export type AdminTransport = (
  method: AdminMethod,
  url: string,
  body: string | undefined,
  limits: { timeoutMs: number; maxBytes: number },
) => Promise<AdminAnswer>;

export interface CaddyAdminOptions {
  adminUrl: string;
  transport: AdminTransport;
  timeoutMs: number;
  /** Largest config read back (Caddy answers GET /config/ with the whole JSON). */
  maxBytes: number;
}

export interface CaddyAdmin {
  /** Parsed JSON at `path` (e.g. `/config/apps`), `undefined` when Caddy holds nothing there. */
  get(path: string): Promise<unknown>;
  send(method: Exclude<AdminMethod, 'GET'>, path: string, body?: unknown): Promise<void>;
}

/** The admin origin, or a TypeError: anything but `http://<loopback>:<port>` is refused. */
export function checkAdminUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`caddy adminUrl is not a URL: ${value}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (
    url.protocol !== 'http:' ||
    !isLoopbackAddress(host) ||
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== ''
  ) {
    // The admin API has no authentication: pointing it at another machine would hand the edge to the network.
    throw new TypeError(`caddy adminUrl must be http://<loopback address>:<port>, got ${value}`);
  }
  return url.origin;
}

/**
 * The default transport: node:http on a fresh connection per request. Caddy restarts its admin server on
 * every config change and drops the idle keep-alive sockets of the old one, so a pooled client (fetch)
 * sometimes sends the next request into a socket being closed; retrying that is unsafe for a POST (Caddy
 * accepts a duplicate `@id`), so no connection is ever reused.
 */
export const caddyAdminRequest: AdminTransport = (method, url, body, limits) =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: limits.timeoutMs,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            req.destroy(new Error(`answer larger than ${limits.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${limits.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });

export function createCaddyAdmin(options: CaddyAdminOptions): CaddyAdmin {
  const origin = checkAdminUrl(options.adminUrl);
  const limits = { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes };

  const call = async (method: AdminMethod, path: string, body?: unknown): Promise<string> => {
    let answer: AdminAnswer;
    try {
      answer = await options.transport(
        method,
        `${origin}${path}`,
        body === undefined ? undefined : JSON.stringify(body),
        limits,
      );
    } catch (error) {
      throw new DeployError(
        'edge_failed',
        `caddy admin API at ${origin}: ${method} ${path} failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    if (answer.status < 200 || answer.status > 299) {
      // Caddy answers {"error": "..."}; its message names the config problem, which is what an operator needs.
      throw new DeployError(
        'edge_failed',
        `caddy refused ${method} ${path} (${answer.status}): ${answer.text.slice(0, 1000)}`,
      );
    }
    return answer.text;
  };

  return {
    get: async (path) => {
      const text = await call('GET', path);
      if (text.trim() === '') return undefined;
      try {
        const value: unknown = JSON.parse(text);
        return value === null ? undefined : value;
      } catch (error) {
        throw new DeployError('edge_failed', `caddy answered GET ${path} with something not JSON`, {
          cause: error,
        });
      }
    },
    send: async (method, path, body) => {
      await call(method, path, body);
    },
  };
}
