// A small client for Caddy's admin API: loopback only (it changes what the edge serves, and it has no auth),
// bounded answers, a timeout per request, and every failure a DeployError `edge_failed` carrying Caddy's text.

import { isLoopbackAddress } from '@homeport/core';
import { DeployError } from '../errors.js';

export type AdminMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface CaddyAdminOptions {
  adminUrl: string;
  fetch: typeof fetch;
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

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body.cancel();
      throw new DeployError('edge_failed', `caddy admin answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createCaddyAdmin(options: CaddyAdminOptions): CaddyAdmin {
  const origin = checkAdminUrl(options.adminUrl);

  const call = async (method: AdminMethod, path: string, body?: unknown): Promise<string> => {
    let response: Response;
    try {
      response = await options.fetch(`${origin}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new DeployError(
        'edge_failed',
        `caddy admin API at ${origin} cannot be reached: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await readBounded(response, options.maxBytes);
    if (!response.ok) {
      // Caddy answers {"error": "..."}; its message names the config problem, which is what an operator needs.
      throw new DeployError(
        'edge_failed',
        `caddy refused ${method} ${path} (${response.status}): ${text.slice(0, 1000)}`,
      );
    }
    return text;
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
