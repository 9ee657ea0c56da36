// Small helpers of the worker pool's primary: the port it picks for port 0, and worker log lines written
// through its own logger.

import { createServer } from 'node:net';
import type { Logger } from '@homeport/core';

/**
 * A port for the workers when port 0 was asked for. node:cluster shares a port-0 listen between workers by
 * the order of their listen calls on an address, across every pool in the process: proxy workers asking for
 * port 0 could be handed the WebDAV workers' port. So the primary picks the port and the workers ask for it.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A worker's log line (pino JSON from its logger), written by the primary's logger with the worker's fields. */
export function writeWorkerLine(log: Logger, line: string): void {
  let fields: Record<string, unknown>;
  try {
    // A pino line written by the worker's logger (worker-main.ts).
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    log.warn({ line: line.slice(0, 200) }, 'unreadable log line from a proxy worker');
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...rest } = fields;
  const label = typeof level === 'number' ? log.levels.labels[level] : undefined;
  const write =
    label === 'fatal' || label === 'error' || label === 'warn' || label === 'info' || label === 'debug'
      ? label
      : 'trace';
  log[write](rest, typeof msg === 'string' ? msg : '');
}
