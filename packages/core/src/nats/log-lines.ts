// nats-server's log lines (`[pid] [INF] text`, optionally with a date) turned into Homeport log entries.

import type { Logger } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS: Record<string, Level> = {
  TRC: 'trace',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
};

const LINE = /^\[\d+\]\s+(?:\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d+\s+)?\[([A-Z]{3})\]\s?(.*)$/;

export interface ParsedLogLine {
  level: Level;
  message: string;
}

/** The level and message of one line; a line in another shape (a panic's stack) is logged as an error. */
export function parseNatsLogLine(line: string): ParsedLogLine | undefined {
  if (line.trim() === '') return undefined;
  const match = LINE.exec(line);
  const level = match?.[1] === undefined ? undefined : LEVELS[match[1]];
  if (match && level) {
    const message = match[2] ?? '';
    // The JetStream banner's ASCII art and blank lines say nothing at info level.
    return { level: level === 'info' && !/[A-Za-z0-9]{2,}/.test(message) ? 'debug' : level, message };
  }
  return { level: 'error', message: line };
}

/** A line handler that writes into `log` (a child logger with `component: 'nats-server'`). */
export function natsLogWriter(log: Logger): (line: string) => void {
  return (line) => {
    const parsed = parseNatsLogLine(line);
    if (parsed) log[parsed.level](parsed.message);
  };
}
