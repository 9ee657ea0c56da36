// A minimal Server-Sent Events reader over node:http for the gateway fan-out: one connection per stream from
// a chosen loopback address (the server allows 64 connections per client address), each event handed over as
// it is parsed.

import { request } from 'node:http';

export interface SseEvent {
  type: string;
  data: string;
}

export interface SseStream {
  /** Resolves with the status once the response headers arrived. */
  readonly opened: Promise<number>;
  /** Resolves when the server ends the stream or the connection fails. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(
  url: string,
  headers: Record<string, string>,
  localAddress: string,
  onEvent: (event: SseEvent) => void,
): SseStream {
  let finish: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let opened: (status: number) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const openedPromise = new Promise<number>((resolve, reject) => {
    opened = resolve;
    failed = reject;
  });
  // A connection of its own (agent: false): a stream holds it for as long as it runs.
  const req = request(url, {
    headers: { accept: 'text/event-stream', ...headers },
    agent: false,
    localAddress,
  });
  req.on('error', (error) => {
    failed(error);
    finish();
  });
  req.on('response', (response) => {
    opened(response.statusCode ?? 0);
    let buffer = '';
    let type = '';
    let data: string[] = [];
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n');
      while (end !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line === '') {
          if (data.length > 0) onEvent({ type: type || 'message', data: data.join('\n') });
          type = '';
          data = [];
        } else if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        // `id:` and comments (heartbeats) are not needed here.
        end = buffer.indexOf('\n');
      }
    });
    response.on('end', finish);
    response.on('error', finish);
  });
  req.end();
  return { opened: openedPromise, ended, close: () => req.destroy() };
}
