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

export interface BatchedBody<T> {
  status: number;
  /** Without Content-Length: the body is sent chunked. */
  headers: OutgoingHttpHeaders;
  /** Text before the first batch (a document's start, the answer about the folder itself…). */
  head: string;
  items: readonly T[];
  /** Items rendered at a time. */
  size: number;
  render: (batch: readonly T[]) => Promise<string>;
  /** Text after the last batch. */
  tail: string;
}

/**
 * Sends `head`, then `render(batch)` for each `size` items, then `tail`, chunked. Memory held is one batch
 * plus what the socket buffers, whatever the number of items; a client that stops reading stops the
 * rendering, and one that hangs up ends it.
 */
export async function streamBatches<T>(res: ServerResponse, body: BatchedBody<T>): Promise<void> {
  res.writeHead(body.status, body.headers);
  res.write(body.head);
  try {
    for (let start = 0; start < body.items.length; start += body.size) {
      await writable(res);
      await yieldToOthers();
      if (res.destroyed) return;
      const text = await body.render(body.items.slice(start, start + body.size));
      if (res.destroyed) return;
      res.write(text);
    }
    await writable(res);
  } catch (error) {
    // The client hung up mid-response: nobody is left to answer.
    if (res.destroyed) return;
    throw error;
  }
  res.end(body.tail);
}
