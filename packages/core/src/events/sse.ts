// Server-Sent Events streams: heartbeats, a bounded send buffer per client, and one registry to end them all.

import type { FastifyReply } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface SseStream {
  /** Sends one event; returns false once the stream is closed (or was cut for being too slow). */
  send(event: { id?: string; event?: string; data: unknown }): boolean;
  /** Sends a comment line (keeps proxies from timing the stream out). */
  comment(text: string): void;
  close(): void;
  readonly closed: boolean;
  onClose(listener: () => void): void;
}

export interface SseRegistryOptions {
  metrics?: Metrics;
  heartbeatMs?: number;
  /** A client whose unsent bytes exceed this is disconnected rather than buffered without bound. */
  maxBufferedBytes?: number;
}

export interface SseRegistry {
  open(reply: FastifyReply): SseStream;
  /** Ends every open stream (shutdown). */
  closeAll(): void;
  readonly size: number;
}

export function createSseRegistry(options: SseRegistryOptions = {}): SseRegistry {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  const open = new Set<SseStream>();

  return {
    get size() {
      return open.size;
    },
    closeAll() {
      for (const stream of [...open]) stream.close();
    },
    open(reply) {
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      response.write(': connected\n\n');
      const listeners: (() => void)[] = [];
      let closed = false;

      const write = (chunk: string): boolean => {
        if (closed) return false;
        response.write(chunk);
        if (response.writableLength > maxBuffered) {
          // The client reads slower than we publish: cut it; it reconnects with Last-Event-ID.
          stream.close();
          return false;
        }
        return true;
      };
      const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
      heartbeat.unref();

      const stream: SseStream = {
        get closed() {
          return closed;
        },
        send(event) {
          let chunk = '';
          if (event.id !== undefined) chunk += `id: ${event.id}\n`;
          if (event.event !== undefined) chunk += `event: ${event.event}\n`;
          chunk += `data: ${JSON.stringify(event.data)}\n\n`;
          return write(chunk);
        },
        comment(text) {
          write(`: ${text.replace(/\n/g, ' ')}\n\n`);
        },
        close() {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          open.delete(stream);
          options.metrics?.sseClients.dec();
          response.end();
          // Destroying frees the socket at once even if the peer stopped reading.
          response.destroy();
          for (const listener of listeners) listener();
        },
        onClose(listener) {
          listeners.push(listener);
        },
      };
      open.add(stream);
      options.metrics?.sseClients.inc();
      response.on('close', () => stream.close());
      return stream;
    },
  };
}
