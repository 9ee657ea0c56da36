// A nats-server left running by a Homeport that died without stopping it would hold the JetStream store; the
// next start ends it by its PID, after checking that it really is this data dir's server and that no live
// Homeport still supervises it.

import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { readIfExists } from '../fs/private-files.js';
import { NatsError } from './errors.js';

function readPid(file: string): number | undefined {
  const pid = Number(readIfExists(file)?.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** Command-line arguments and parent PID of a live process; undefined when it is gone or a zombie. */
function processInfo(pid: number): { argv: string[]; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the parenthesised command name, which may itself hold spaces: state, ppid, …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { argv, ppid: Number(fields[1]) };
  } catch {
    // No /proc entry (gone, or not Linux): nothing to clean up that can be proven to be ours.
    return undefined;
  }
}

const alive = (pid: number): boolean => processInfo(pid) !== undefined;

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

export interface LeftoverCheck {
  serverPidFile: string;
  /** Where the supervising Homeport writes its own PID. */
  ownerPidFile: string;
  configFile: string;
  log: Logger;
}

/** Ends a nats-server of this data dir whose Homeport is gone; refuses when a live one still supervises it. */
export async function endLeftoverServer(check: LeftoverCheck): Promise<void> {
  const pid = readPid(check.serverPidFile);
  if (pid === undefined) return;
  const info = processInfo(pid);
  // A stale pid file whose number now belongs to some other program: leave that program alone.
  if (info === undefined || !info.argv.includes(check.configFile)) return;
  const owner = readPid(check.ownerPidFile);
  if (info.ppid === process.pid || (owner !== undefined && info.ppid === owner && alive(owner))) {
    throw new NatsError(
      'nats_in_use',
      `a nats-server (pid ${pid}) supervised by Homeport pid ${info.ppid} already runs on this data dir; stop that Homeport first`,
    );
  }
  check.log.warn({ serverPid: pid }, 'stopping a nats-server left behind by an earlier Homeport');
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    // ESRCH: it went away by itself.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  if (!(await waitGone(pid, 10_000))) {
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5000);
  }
}
