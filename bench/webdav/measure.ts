// The three kinds of measurement of bench/webdav, each after a warm-up per server and in rounds that visit
// every server in turn, so a slow moment of the machine (or of the disk) spreads over all of them.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand, startProcess } from '@homeport/testkit';
import type { BenchmarkContext } from '../lib/types.js';
import { describeWrk, runWrk } from '../lib/wrk.js';
import { runCurl } from './curl.js';
import { BIG_BYTES, BIG_NAME, type Fixtures, removeUpload, SMALL_NAME } from './fixtures.js';
import { sampleRss, treeRss } from './memory.js';
import type { DavServer, ServerName } from './servers.js';

export type Samples = Map<ServerName, number[]>;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const high = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? high : ((sorted[middle - 1] ?? Number.NaN) + high) / 2;
}

function add(samples: Samples, server: ServerName, value: number): void {
  const list = samples.get(server) ?? [];
  list.push(value);
  samples.set(server, list);
}

const mb = (bytesPerSec: number) => bytesPerSec / 1e6;

/** GET of the 1 GiB file with curl: MB/s (10^6 bytes) per run. The warm-up also loads it into the page cache. */
export async function measureGet(
  context: BenchmarkContext,
  servers: readonly DavServer[],
  runs: number,
): Promise<Samples> {
  const samples: Samples = new Map();
  for (let round = 0; round <= runs; round += 1) {
    for (const server of servers) {
      const result = await runCurl({
        name: `get-${server.name}`,
        url: `${server.filesUrl}${BIG_NAME}`,
        headers: server.headers,
      });
      if (result.status !== 200 || result.downloadBytes !== BIG_BYTES)
        throw new Error(`GET ${server.name}: status ${result.status}, ${result.downloadBytes} bytes`);
      const label = round === 0 ? 'warm-up' : `run ${round}`;
      context.log(`  GET 1 GiB ${server.name} ${label}: ${mb(result.downloadBytesPerSec).toFixed(0)} MB/s`);
      if (round > 0) add(samples, server.name, mb(result.downloadBytesPerSec));
    }
  }
  return samples;
}

/** Dirty and Writeback page-cache memory (MiB) from /proc/meminfo: what the kernel still has to write. */
function dirtyMiB(): { dirty: number; writeback: number } {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(meminfo)?.[1] ?? 0) / 1024;
  return { dirty: field('Dirty'), writeback: field('Writeback') };
}

/** The kernel's writeback thresholds, which decide whether a 1 GiB upload stays in the page cache. */
function writebackSettings(): string {
  const vm = (name: string) => readFileSync(`/proc/sys/vm/${name}`, 'utf8').trim();
  const available = Number(
    /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0,
  );
  const gib = (ratio: string) => ((available * Number(ratio)) / 100 / 1024 / 1024).toFixed(1);
  const background = vm('dirty_background_ratio');
  const ratio = vm('dirty_ratio');
  return (
    `writeback: vm.dirty_background_ratio=${background} (about ${gib(background)} GiB of dirty pages here), ` +
    `vm.dirty_ratio=${ratio} (${gib(ratio)} GiB: writers are throttled past it), ` +
    `vm.dirty_expire_centisecs=${vm('dirty_expire_centisecs')}`
  );
}

/**
 * `sync`: writes back every dirty page and waits. Run after each upload is removed, so every PUT starts from
 * the same state (no earlier upload still being written back while it runs).
 */
async function syncDisks(): Promise<void> {
  const child = await startProcess(requireCommand('sync', 'coreutils'), [], { name: 'sync' });
  const exit = await child.exited;
  if (exit.code !== 0) throw new Error(`sync failed: ${JSON.stringify(exit)}`);
}

/**
 * PUT of the 1 GiB file with `curl -T` to a new name each time: MB/s per run. After each run the upload is
 * removed and `sync` waits for the disk, so no server pays for the writeback of the one before it.
 */
export async function measurePut(
  context: BenchmarkContext,
  servers: readonly DavServer[],
  fixtures: Fixtures,
  runs: number,
): Promise<Samples> {
  const samples: Samples = new Map();
  const stamp = Date.now().toString(36);
  context.log(`  ${writebackSettings()}`);
  await syncDisks();
  for (let round = 0; round <= runs; round += 1) {
    for (const server of servers) {
      const target = server.upload(`put-${stamp}-${server.name}-${round}.bin`);
      const before = dirtyMiB();
      try {
        const result = await runCurl({
          name: `put-${server.name}`,
          url: target.url,
          headers: server.headers,
          upload: fixtures.big,
        });
        if ((result.status !== 201 && result.status !== 204) || result.uploadBytes !== BIG_BYTES)
          throw new Error(`PUT ${server.name}: status ${result.status}, ${result.uploadBytes} bytes`);
        const after = dirtyMiB();
        const label = round === 0 ? 'warm-up' : `run ${round}`;
        context.log(
          `  PUT 1 GiB ${server.name} ${label}: ${mb(result.uploadBytesPerSec).toFixed(0)} MB/s ` +
            `(dirty+writeback before ${(before.dirty + before.writeback).toFixed(0)} MiB, after ${(after.dirty + after.writeback).toFixed(0)} MiB)`,
        );
        if (round > 0) add(samples, server.name, mb(result.uploadBytesPerSec));
      } finally {
        removeUpload(target.path);
      }
      await syncDisks();
    }
  }
  return samples;
}

export interface PropfindBody {
  name: string;
  xml: string;
}

/** The folder a PROPFIND lists, and how many files it holds. */
export interface ListedFolder {
  name: string;
  files: number;
}

/** Counts `<D:response>` elements, whatever prefix the server gives the DAV: namespace. */
function countResponses(xml: string): number {
  return xml.match(/<\/([A-Za-z][\w.-]*:)?response>/g)?.length ?? 0;
}

/**
 * PROPFIND Depth 1 of `folder`, timed by curl (request sent to last byte received), in ms. The warm-up is made
 * with fetch and checked: a 207 listing the folder and all its files.
 */
export async function measurePropfind(
  context: BenchmarkContext,
  servers: readonly DavServer[],
  folder: ListedFolder,
  body: PropfindBody,
  runs: number,
): Promise<Samples> {
  const bodyFile = join(context.workDir, `propfind-${body.name}.xml`);
  writeFileSync(bodyFile, body.xml);
  const headers = (server: DavServer) => ({
    ...server.headers,
    Depth: '1',
    'Content-Type': 'application/xml; charset=utf-8',
  });
  for (const server of servers) {
    const url = `${server.filesUrl}${folder.name}/`;
    const response = await fetch(url, { method: 'PROPFIND', headers: headers(server), body: body.xml });
    const text = await response.text();
    const count = countResponses(text);
    if (response.status !== 207 || count !== folder.files + 1)
      throw new Error(`PROPFIND ${server.name}: status ${response.status}, ${count} responses`);
  }
  const samples: Samples = new Map();
  for (let round = 0; round < runs; round += 1) {
    for (const server of servers) {
      const result = await runCurl({
        name: `propfind-${server.name}`,
        method: 'PROPFIND',
        url: `${server.filesUrl}${folder.name}/`,
        headers: headers(server),
        body: bodyFile,
      });
      if (result.status !== 207) throw new Error(`PROPFIND ${server.name}: status ${result.status}`);
      add(samples, server.name, result.totalMs);
    }
  }
  for (const [server, values] of samples) {
    context.log(
      `  PROPFIND ${folder.name} ${body.name} ${server}: ${values.map((ms) => ms.toFixed(0)).join(', ')} ms → median ${median(values).toFixed(1)} ms`,
    );
  }
  return samples;
}

export interface ListingMemory {
  /** Summed RSS (MiB) of the server and its worker processes just before the request. */
  baselineMiB: number;
  /** The highest summed RSS sampled while the request ran. */
  peakMiB: number;
  /** Which processes were summed (`node ×3, nats-server`): the agent, its WebDAV workers, what else it runs. */
  processes: string;
  /** What the request took (sampling running), for the record only. */
  totalMs: number;
}

/**
 * One more PROPFIND of `folder`, untimed by the figures, while the RSS of `pid` and its children (Homeport's
 * WebDAV workers) is sampled every 5 ms: the sampling takes CPU the timed runs do not share.
 */
export async function measureListingMemory(
  context: BenchmarkContext,
  server: DavServer,
  pid: number,
  folder: ListedFolder,
  body: PropfindBody,
): Promise<ListingMemory> {
  const bodyFile = join(context.workDir, `propfind-${body.name}.xml`);
  writeFileSync(bodyFile, body.xml);
  const baseline = treeRss(pid);
  const sampler = sampleRss(pid);
  const result = await runCurl({
    name: `propfind-memory-${server.name}`,
    method: 'PROPFIND',
    url: `${server.filesUrl}${folder.name}/`,
    headers: { ...server.headers, Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
    body: bodyFile,
  });
  const peakMiB = sampler.stop();
  if (result.status !== 207) throw new Error(`PROPFIND ${server.name}: status ${result.status}`);
  return { baselineMiB: baseline.mib, peakMiB, processes: baseline.processes, totalMs: result.totalMs };
}

export interface SmallGetSamples {
  /** Requests per second of each run. */
  requestsPerSec: Samples;
  /** Latency percentiles of each run, in ms. */
  p50Ms: Samples;
  p99Ms: Samples;
}

/**
 * `wrk -t2 -c64` GET of the 4 KiB file: a warm-up round (BENCH_WARMUP_S per server), then `runs` rounds that
 * visit every server in turn for BENCH_DURATION_S each. A measured run with errors or non-2xx answers is
 * refused.
 */
export async function measureSmallGet(
  context: BenchmarkContext,
  servers: readonly DavServer[],
  runs: number,
): Promise<SmallGetSamples> {
  const samples: SmallGetSamples = { requestsPerSec: new Map(), p50Ms: new Map(), p99Ms: new Map() };
  for (let round = 0; round <= runs; round += 1) {
    for (const server of servers) {
      const label = round === 0 ? 'warm-up' : `run ${round}`;
      const result = await runWrk({
        threads: 2,
        connections: 64,
        url: `${server.filesUrl}${SMALL_NAME}`,
        headers: server.headers,
        workDir: context.workDir,
        name: `small-${server.name}-${round === 0 ? 'warmup' : round}`,
        durationSec: round === 0 ? context.warmupSec : context.durationSec,
      });
      context.log(`  4 KiB GET ${server.name} ${label}: ${describeWrk(result)}`);
      // The warm-up only warms (caches, JIT, connections); its errors are printed above, not judged.
      if (round === 0) continue;
      const { connect, read, write, timeout, status } = result.errors;
      if (connect + read + write + timeout + status > 0)
        throw new Error(
          `4 KiB GET ${server.name}: errors ${JSON.stringify(result.errors)}; figures not valid`,
        );
      add(samples.requestsPerSec, server.name, result.requestsPerSec);
      add(samples.p50Ms, server.name, result.latencyMs.p50);
      add(samples.p99Ms, server.name, result.latencyMs.p99);
    }
  }
  return samples;
}
