// One bounded HTTP exchange with a registry or its token service: a timeout, no redirects followed, and a
// body read only up to a size cap. Failures to get an answer are `registry_unavailable`.

import { DeployError } from '../errors.js';
import { maskSecrets } from '../secrets.js';

/** Credentials for a registry (Basic, or for its token service). */
export interface RegistryAuth {
  username: string;
  password: string;
}

export interface BoundedAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface HttpLimits {
  fetch: typeof fetch;
  timeoutMs: number;
  maxBytes: number;
}

export async function boundedRequest(
  limits: HttpLimits,
  url: string,
  init: { method: 'GET' | 'HEAD'; headers: Record<string, string> },
): Promise<BoundedAnswer> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let response: Response;
  try {
    // A redirect could carry the Authorization header to another host: none is followed.
    response = await limits.fetch(url, { ...init, signal, redirect: 'manual' });
  } catch (error) {
    throw new DeployError(
      'registry_unavailable',
      `registry request ${init.method} ${url} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > limits.maxBytes) {
          await response.body.cancel();
          throw new DeployError(
            'registry_unavailable',
            `registry answer to ${url} is larger than ${limits.maxBytes} bytes`,
          );
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (error) {
    if (error instanceof DeployError) throw error;
    throw new DeployError('registry_unavailable', `registry answer to ${url} broke off: ${String(error)}`, {
      cause: error,
    });
  }
  return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
}

/**
 * The registry's own error text (`{"errors":[{"code","message"}]}`), short, for messages. The credentials
 * sent are masked in it: a registry (or token service) may echo them, and the text ends up in deploy
 * records, events and the server log.
 */
export function registryErrorText(answer: BoundedAnswer, auth?: RegistryAuth): string {
  const text = rawErrorText(answer);
  if (auth === undefined) return text;
  const basic = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
  return maskSecrets(text, [auth.password, basic]);
}

function rawErrorText(answer: BoundedAnswer): string {
  const text = answer.body.subarray(0, 2000).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] }; // shape checked below
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (first && typeof first.code === 'string')
      return `${first.code}: ${String(first.message ?? '')}`.slice(0, 300);
  } catch {
    // Not JSON (a proxy's HTML page): the status alone says enough.
  }
  return `HTTP ${answer.status}`;
}
