// Reads a small XML request body (PROPFIND, PROPPATCH, LOCK) into a string, refusing one past the cap.

import type { IncomingMessage } from 'node:http';
import { DavError } from './errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text, '' when there is none. Refuses with 413 as soon as the declared length or the bytes read
 * pass `limit`, without reading the rest. Only UTF-8 is accepted, as every DAV client sends.
 */
export function readTextBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  // Listeners rather than `for await`: leaving an async iterator early destroys the request, and with it the
  // socket the 413 has to be written to.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (total === 0) {
        resolve('');
        return;
      }
      try {
        resolve(decoder.decode(Buffer.concat(chunks, total)));
      } catch (error) {
        reject(new DavError('malformed_xml', 'The request body is not valid UTF-8', { cause: error }));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(limit: number): DavError {
  // Connection: close, because the rest of the body is left unread on the socket.
  return new DavError('body_too_large', `The request body is larger than ${limit} bytes`, {
    headers: { Connection: 'close' },
  });
}
