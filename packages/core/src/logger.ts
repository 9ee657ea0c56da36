// pino logger: JSON lines (pretty on a TTY), child loggers with context, secrets redacted.

import pino, { type Logger, type LoggerOptions } from 'pino';
import SonicBoom from 'sonic-boom';

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
      // One line per entry, as the human lines `homeport start` prints between them: time, level, message,
      // then the fields. The pid is the same on every line of a terminal session, so it is left out.
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss', singleLine: true, ignore: 'pid,hostname' },
      },
    });
  }
  return pino(pinoOptions, stdoutDestination());
}

/**
 * Asynchronous, batching writes to stdout: a busy server turns many log lines into few write calls. Made by
 * hand rather than with pino.destination(), whose exit hook flushes synchronously in a loop that never ends
 * once stdout's reader is gone (EPIPE) — SIGTERM would then never finish. Here a broken stdout just drops
 * lines, and the lifecycle flushes with flushLogger() before exiting.
 */
function stdoutDestination(): SonicBoom {
  // Lines are gathered up to 8 KiB (or 250 ms) per write: one write call serves dozens of access-log lines.
  const destination = new SonicBoom({ fd: 1, sync: false, minLength: 8192, periodicFlush: 250 });
  destination.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    destination.write = () => true;
    destination.flush = (callback?: (error?: Error) => void) => callback?.();
  });
  return destination;
}

/** Writes out buffered log lines; gives up after `timeoutMs` (a stuck stdout must not block exit). */
export function flushLogger(log: Logger, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    log.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
