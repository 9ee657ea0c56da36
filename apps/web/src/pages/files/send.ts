// The one request shape the agent client sends bodies with, and its browser transport: XMLHttpRequest,
// because fetch() reports no upload progress (streaming request bodies need HTTP/2, which the agent does
// not speak). Tests pass a fetch-based transport instead.

export interface SendRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Blob;
  signal?: AbortSignal;
  /** Bytes of the body sent so far. */
  onProgress?: (sent: number) => void;
}

export interface SendResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}

/** Resolves with any answer; rejects with a TypeError when none came and with an AbortError when aborted. */
export type Send = (request: SendRequest) => Promise<SendResponse>;

export const xhrSend: Send = (request) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    const onAbort = () => xhr.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => request.signal?.removeEventListener('abort', onAbort);
    if (request.onProgress) {
      const report = request.onProgress;
      xhr.upload.onprogress = (event) => report(event.loaded);
    }
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText });
    };
    xhr.onerror = () => {
      done();
      reject(new TypeError('network error'));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('aborted', 'AbortError'));
    };
    if (request.signal?.aborted) {
      done();
      reject(new DOMException('aborted', 'AbortError'));
      return;
    }
    xhr.send(request.body ?? null);
  });

/** A transport over fetch (no progress until the end): for tests, and where XMLHttpRequest is missing. */
export function fetchSend(doFetch: typeof fetch): Send {
  return async (request) => {
    const init: RequestInit = { method: request.method, headers: request.headers };
    if (request.body) init.body = request.body;
    if (request.signal) init.signal = request.signal;
    const response = await doFetch(request.url, init);
    const text = await response.text();
    request.onProgress?.(request.body?.size ?? 0);
    return { status: response.status, header: (name) => response.headers.get(name), text };
  };
}
