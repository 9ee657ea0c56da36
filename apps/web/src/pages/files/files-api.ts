// The control plane's side of files in the browser: a short-lived credential for one export's agent, the
// signed-in person's share links, and opening a link without an account. Same-origin JSON like the rest of
// the API client (its error reading is shared); kept beside the pages that use it.
import { ApiError } from '../../api/api-error';
import { readError } from '../../api/client';
import type { BrowserAccess, CreatedShare, CreateShareInput, OpenedShare, ShareLink } from './files-types';

export interface FilesApiOptions {
  /** @default '/api/v1' */
  baseUrl?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface FilesApi {
  /** A 15-minute credential for the export's agent, on the URL a mount uses. */
  browserAccess(exportId: string): Promise<BrowserAccess>;
  /** Creates a link; the answer's `url` (with the secret) is never shown again. */
  createShare(exportId: string, input: CreateShareInput): Promise<CreatedShare>;
  /** My links; with `all`, everyone's (admins). */
  listShares(all?: boolean, signal?: AbortSignal): Promise<ShareLink[]>;
  revokeShare(id: string): Promise<void>;
  /** Opens a link (no account): rejects with code `share_password_required` / `share_password_wrong`. */
  openShare(id: string, secret: string, password?: string): Promise<OpenedShare>;
}

export function createFilesApi(options: FilesApiOptions = {}): FilesApi {
  const baseUrl = options.baseUrl ?? '/api/v1';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const init: RequestInit = {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { Accept: 'application/json' }
          : {
              Accept: 'application/json',
              'Content-Type': 'application/json',
            },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, init);
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: 'Could not reach the Homeport server. Check your connection and try again.',
        cause,
      });
    }
    if (!response.ok) throw await readError(response);
    // cast: the void answers (204) are asked for as void
    if (response.status === 204) return undefined as T;
    // cast: the server is this project's own; its contract is design13.md and the route schemas
    return (await response.json()) as T;
  }

  const exportPath = (id: string) => `/exports/${encodeURIComponent(id)}`;
  return {
    browserAccess: (exportId) => call<BrowserAccess>('POST', `${exportPath(exportId)}/browser-access`),
    createShare: (exportId, input) => call<CreatedShare>('POST', `${exportPath(exportId)}/shares`, input),
    listShares: async (all, signal) =>
      (await call<{ shares: ShareLink[] }>('GET', `/shares${all ? '?all=1' : ''}`, undefined, signal)).shares,
    revokeShare: (id) => call<void>('DELETE', `/shares/${encodeURIComponent(id)}`),
    openShare: (id, secret, password) =>
      call<OpenedShare>('POST', `/public/shares/${encodeURIComponent(id)}/open`, {
        secret,
        ...(password === undefined ? {} : { password }),
      }),
  };
}
