// Writes a large response in batches (a PROPFIND Depth 1 multistatus, the HTML listing of a folder): each batch
// is rendered only when the client has taken the previous one, and other requests get the event loop between.

import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setImmediate as yieldToOthers } from 'node:timers/promises';

/** Resolves when the response can take more, or rejects when the client went away first. */
function writable(res: ServerResponse): Promise<void> {
  if (!res.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      res.off('drain', onDrain);
      reject(new Error('The client closed the connection'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

export interface BatchedBody {
  status: number;
  /** Without Content-Length: the body is sent chunked. */
  headers: OutgoingHttpHeaders;
  /** Text before the first batch (a document's start, the answer about the folder itself…). */
  head: string;
  /** The next batch's text, asked for only when the client has taken the previous one; undefined at the end. */
  next: () => Promise<string | undefined>;
  /** Text after the last batch. */
  tail: string;
}

/** `next` for a list held whole: `render` of `size` items at a time. */
export function batchesOf<T>(
  items: readonly T[],
  size: number,
  render: (batch: readonly T[]) => Promise<string>,
): () => Promise<string | undefined> {
  let start = 0;
  return async () => {
    if (start >= items.length) return undefined;
    const batch = items.slice(start, start + size);
    start += size;
    return render(batch);
  };
}

/**
 * Sends `head`, then each batch `next()` gives, then `tail`, chunked. Memory held is one batch plus what the
 * socket buffers, whatever the number of items; a client that stops reading stops the rendering, and one
 * that hangs up ends it. Each batch goes out as one Buffer: encoded once, written with one chunk header.
 */
export async function streamBatches(res: ServerResponse, body: BatchedBody): Promise<void> {
  res.writeHead(body.status, body.headers);
  res.write(body.head);
  try {
    for (;;) {
      await writable(res);
      await yieldToOthers();
      if (res.destroyed) return;
      const text = await body.next();
      if (text === undefined) break;
      if (res.destroyed) return;
      if (text !== '') res.write(Buffer.from(text));
    }
    await writable(res);
  } catch (error) {
    // The client hung up mid-response: nobody is left to answer.
    if (res.destroyed) return;
    throw error;
  }
  res.end(body.tail);
}
