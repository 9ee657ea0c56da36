// Raw HTTP over a socket, for what fetch and inject cannot express: lying Content-Length, slow bodies, huge headers.

import { connect, type Socket } from 'node:net';

export interface RawExchange {
  socket: Socket;
  /** Resolves with everything the server sent once it closes the connection (or after `idleMs` of silence). */
  response(idleMs?: number): Promise<string>;
}

export function openRaw(port: number, head: string): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      resolve({
        socket,
        response: (idleMs = 2000) =>
          new Promise((done) => {
            let timer = setTimeout(() => done(received), idleMs);
            socket.on('data', () => {
              clearTimeout(timer);
              timer = setTimeout(() => done(received), idleMs);
            });
            socket.on('close', () => {
              clearTimeout(timer);
              done(received);
            });
          }),
      });
    });
    socket.on('error', reject);
  });
}

export const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
