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

export const isLoopbackHost = (host: string) => {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
};

export interface ControlClient {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A call with raw bytes in and out (blobs). */
  callBytes(method: string, path: string, body?: Uint8Array): Promise<Buffer>;
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

  function once(
    base: string,
    method: string,
    path: string,
    body: Buffer | undefined,
    contentType = 'application/json',
  ) {
    const full = `/api/v1/bus${path}`;
    const headers: Record<string, string> = {
      ...signRequest(options.identity, { method, path: full, body: body ?? new Uint8Array(0) }),
      accept: 'application/json',
    };
    if (body) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(body.length);
    }
    const url = new URL(full, base);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<{ status: number; text: string; bytes: Buffer }>((resolve, reject) => {
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
          res.on('end', () => {
            const bytes = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, text: bytes.toString('utf8'), bytes });
          });
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
      const answer = await send(method, path, bytes, 'application/json');
      return (answer.text.length > 0 ? safeJson(answer.text) : undefined) as T;
    },
    async callBytes(method: string, path: string, body?: Uint8Array): Promise<Buffer> {
      const bytes = body === undefined ? undefined : Buffer.from(body);
      return (await send(method, path, bytes, 'application/octet-stream')).bytes;
    },
  };

  async function send(method: string, path: string, bytes: Buffer | undefined, contentType: string) {
    let lastError: unknown;
    for (let attempt = 0; attempt < bases.length; attempt++) {
      const base = bases[index] as string;
      let answer: { status: number; text: string; bytes: Buffer };
      try {
        // Signed again per attempt: a nonce is single use, on every replica.
        answer = await once(base, method, path, bytes, contentType);
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
      if (answer.status >= 400) {
        const parsed = answer.text.length > 0 ? safeJson(answer.text) : undefined;
        const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error;
        throw new BusClientError(
          answer.status,
          error?.code ?? 'http_error',
          error?.message ?? `HTTP ${answer.status}`,
          error?.details,
        );
      }
      return answer;
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: 'bad_response', message: text.slice(0, 200) } };
  }
}
