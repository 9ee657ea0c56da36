// An upload that reports its progress: fetch cannot tell how much of a request body has gone out, so
// attachments go with XMLHttpRequest, answered as a fetch Response so the client reads it like any other.

export interface UploadRequest {
  url: string;
  body: Blob;
  headers: Record<string, string>;
  /** Bytes sent so far, of `total`. */
  onProgress?: ((sent: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** Sends `body` with POST; rejects like fetch (TypeError when no answer came, AbortError when aborted). */
export type Upload = (request: UploadRequest) => Promise<Response>;

export const uploadWithProgress: Upload = (request) =>
  new Promise((resolve, reject) => {
    const { signal } = request;
    if (signal?.aborted) return reject(new DOMException('The upload was aborted', 'AbortError'));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', request.url);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) request.onProgress?.(event.loaded, event.total);
    };
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      done();
      // A Response takes statuses 200–599 only; XHR gives 0 only when there was no answer (onerror).
      resolve(
        new Response(xhr.status === 204 ? null : xhr.responseText, {
          status: xhr.status,
          statusText: xhr.statusText,
          headers: { 'content-type': xhr.getResponseHeader('content-type') ?? 'text/plain' },
        }),
      );
    };
    xhr.onerror = () => {
      done();
      reject(new TypeError('The upload could not reach the server'));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('The upload was aborted', 'AbortError'));
    };
    xhr.send(request.body);
  });
