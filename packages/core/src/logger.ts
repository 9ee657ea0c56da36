// pino logger: JSON lines (pretty on a TTY), child loggers with context, secrets redacted.

import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Fields that must never reach a log line, wherever they appear in the object logged. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'newPassword',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'value',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerFactoryOptions {
  level?: string;
  /** Pretty output for people; JSON for machines. Defaults to whether stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests pass a stream to inspect them). */
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerFactoryOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: options.base ?? { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty ?? process.stdout.isTTY) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  // Synchronous writes: an asynchronous destination flushes at exit in a loop that never ends once
  // stdout's reader is gone (EPIPE), so SIGTERM would never finish; sync writes fail once and pino drops
  // the stream.
  return pino(pinoOptions, pino.destination({ dest: 1, sync: true }));
}
