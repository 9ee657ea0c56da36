// Signed requests to the bus control plane, with a list of control-plane URLs to fail over across and an
// optional CA to pin. With a CA given, a plain http:// URL is refused: the control plane carries membership
// and sealed keys, which TLS must protect (unibus audit H5). Without a CA, http:// is accepted only for
// loopback hosts.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Identity } from '../crypto/index.js';
import { signRequest } from '../crypto/index.js';

export class BusClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BusClientError';
  }
}

export interface ControlClientOptions {
  /** Base URLs of the control plane (e.g. https://homeport.lan), tried in order on network errors and 5xx. */
  urls: readonly string[];
  identity: Identity;
  /** PEM of the CA to trust (pinned: the system store is not used). */
  ca?: string;
  /** Per request (default 15 s). */
  timeoutMs?: number;
}

const isLoopbackHost = (host: string) => {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
};

export interface ControlClient {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The URL that answered last. */
  readonly current: string;
}

export function createControlClient(options: ControlClientOptions): ControlClient {
  if (options.urls.length === 0) throw new Error('at least one control-plane URL is needed');
  const bases = options.urls.map((text) => {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`${text}: the control plane is reached over https:// (or http:// on loopback)`);
    if (url.protocol === 'http:' && options.ca !== undefined)
      throw new Error(`${text}: a CA is pinned, so the control plane must be https://`);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
      throw new Error(`${text}: plain http:// is accepted only on loopback; use https://`);
    return url.origin;
  });
  let index = 0;
  const timeoutMs = options.timeoutMs ?? 15_000;

  function once(base: string, method: string, path: string, body: Buffer | undefined) {
    const full = `/api/v1/bus${path}`;
    const headers: Record<string, string> = {
      ...signRequest(options.identity, { method, path: full, body: body ?? new Uint8Array(0) }),
      accept: 'application/json',
    };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const url = new URL(full, base);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          timeout: timeoutMs,
          ...(url.protocol === 'https:' && options.ca !== undefined ? { ca: options.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${base}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    get current() {
      return bases[index] as string;
    },
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      let lastError: unknown;
      for (let attempt = 0; attempt < bases.length; attempt++) {
        const base = bases[index] as string;
        let answer: { status: number; text: string };
        try {
          // Signed again per attempt: a nonce is single use, on every replica.
          answer = await once(base, method, path, bytes);
        } catch (error) {
          lastError = error;
          index = (index + 1) % bases.length;
          continue;
        }
        if (answer.status >= 500 && bases.length > 1 && attempt < bases.length - 1) {
          lastError = new BusClientError(answer.status, 'unavailable', `${base} answered ${answer.status}`);
          index = (index + 1) % bases.length;
          continue;
        }
        const parsed = answer.text.length > 0 ? safeJson(answer.text) : undefined;
        if (answer.status >= 400) {
          const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error;
          throw new BusClientError(
            answer.status,
            error?.code ?? 'http_error',
            error?.message ?? `HTTP ${answer.status}`,
            error?.details,
          );
        }
        return parsed as T;
      }
      throw lastError instanceof Error ? lastError : new Error(String(lastError));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: 'bad_response', message: text.slice(0, 200) } };
  }
}
