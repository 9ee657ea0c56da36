// Writes a large 207 Multi-Status in batches: each batch is rendered only when the client has taken the
// previous one, and other requests get the event loop in between.

import type { ServerResponse } from 'node:http';
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { MULTISTATUS_END } from './multistatus.js';

const XML_TYPE = 'application/xml; charset=utf-8';

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

/**
 * Sends `head` (the XML declaration, the opening multistatus tag and the first responses), then
 * `render(batch)` for each `size` items, then the closing tag, chunked. Memory held is one batch plus what
 * the socket buffers, whatever the number of items; a client that stops reading stops the rendering.
 */
export async function streamMultistatus<T>(
  res: ServerResponse,
  head: string,
  items: readonly T[],
  size: number,
  render: (batch: readonly T[]) => Promise<string>,
): Promise<void> {
  res.writeHead(207, { 'Content-Type': XML_TYPE });
  res.write(head);
  try {
    for (let start = 0; start < items.length; start += size) {
      await writable(res);
      await yieldToOthers();
      if (res.destroyed) return;
      const xml = await render(items.slice(start, start + size));
      if (res.destroyed) return;
      res.write(xml);
    }
    await writable(res);
  } catch (error) {
    // The client hung up mid-listing: nobody is left to answer.
    if (res.destroyed) return;
    throw error;
  }
  res.end(MULTISTATUS_END);
}
