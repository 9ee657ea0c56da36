// Resident memory of a server process and its children (Homeport's WebDAV workers), read from /proc while a
// request runs: the peak of their summed RSS, next to what they held before.

import { readdirSync, readFileSync } from 'node:fs';

/** The process and its direct children (node:cluster workers are children of the primary). */
function processTree(pid: number): number[] {
  const pids = [pid];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    // The process is gone: nothing left to measure.
    return [];
  }
  for (const task of tasks) {
    try {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children.split(' ')) if (child !== '') pids.push(Number(child));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return pids;
}

function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]);
  } catch {
    // A worker that exited between the listing and the read holds nothing any more.
    return 0;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // Gone between the listing and the read.
    return '?';
  }
}

/** Summed RSS (MiB) of `pid` and its children, and which processes those are (`node ×3, nats-server`). */
export function treeRss(pid: number): { mib: number; processes: string } {
  const pids = processTree(pid);
  let kib = 0;
  const counts = new Map<string, number>();
  for (const one of pids) {
    kib += rssKiB(one);
    const command = commandOf(one);
    counts.set(command, (counts.get(command) ?? 0) + 1);
  }
  const processes = [...counts].map(([command, count]) => (count === 1 ? command : `${command} ×${count}`));
  return { mib: kib / 1024, processes: processes.join(', ') };
}

export interface RssSampler {
  /** Stops sampling; the highest summed RSS seen (MiB), the last sample included. */
  stop(): number;
}

/** Samples the tree's summed RSS every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs = 5): RssSampler {
  let peak = treeRss(pid).mib;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(pid).mib);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, treeRss(pid).mib);
      return peak;
    },
  };
}
