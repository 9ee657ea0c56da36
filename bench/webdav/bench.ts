// bench/webdav: Homeport's WebDAV agent against nginx, apache2 mod_dav and rclone serve webdav on the same
// files in one run: 1 GiB GET and PUT, PROPFIND Depth 1 of 10,000 and 100,000 files (with Homeport's memory),
// 4 KiB GET from 64 connections; GET and PUT also on a bare node:http server (peer-node.mjs), the ceiling of
// any Node.js server on this machine.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure, Goal } from '../lib/types.js';
import {
  createFixtures,
  FOLDER_FILES,
  FOLDER_NAME,
  HUGE_FOLDER_FILES,
  HUGE_FOLDER_NAME,
} from './fixtures.js';
import {
  measureGet,
  measureListingMemory,
  measurePropfind,
  measurePut,
  measureSmallGet,
  median,
  type Samples,
} from './measure.js';
import { type DavServer, type ServerName, startHomeportServer, startPeers } from './servers.js';

/** Runs per figure (the median is reported) after a warm-up per server. */
const GET_RUNS = 3;
/** PUT swings most (the disk): five rounds, each from a synced disk (see README). */
const PUT_RUNS = 5;
/**
 * BENCH_WEBDAV_ONLY=propfind: the PROPFIND figures alone (apache, rclone and Homeport; no 1 GiB file, no
 * nginx), with twice the rounds: a minute or two, for work on the listing path.
 */
const LISTINGS_ONLY = process.env.BENCH_WEBDAV_ONLY === 'propfind';
const PROPFIND_RUNS = LISTINGS_ONLY ? 15 : 7;
/** A listing of 100,000 files takes about a second per server. */
const HUGE_PROPFIND_RUNS = LISTINGS_ONLY ? 7 : 3;
const SMALL_GET_RUNS = 3;
/** PROPFIND Depth 1: at most half of apache's time. */
const PROPFIND_GOAL: Goal = { comparison: '<=', target: 0.5 };
/**
 * What a listing of 100,000 files may add to Homeport's resident memory (all its processes): a batch of 256
 * members is rendered at a time, so what grows is the garbage between collections, not the folder.
 */
const HUGE_LISTING_GROWTH_MIB = 64;

const PROPFIND_BODIES = [
  {
    name: 'allprop',
    xml: '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
  },
  {
    // What rclone's WebDAV client asks for (as Homeport's mount instructions set it up); oc: ones are dead.
    name: 'rclone props',
    xml:
      '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">' +
      '<d:prop><d:displayname/><d:getlastmodified/><d:getcontentlength/><d:resourcetype/><d:getcontenttype/>' +
      '<oc:checksums/><oc:permissions/></d:prop></d:propfind>',
  },
] as const;

function pick(servers: readonly DavServer[], names: readonly ServerName[]): DavServer[] {
  return names.map((name) => {
    const server = servers.find((item) => item.name === name);
    if (server === undefined) throw new Error(`no server ${name}`);
    return server;
  });
}

function runsDetail(values: readonly number[], unit: string, digits = 0): string {
  return `runs: ${values.map((value) => formatNumber(value, digits)).join(', ')} ${unit}`;
}

interface CompareOptions {
  /** Decimals of the runs listed in the detail column. */
  digits?: number;
  /** Detail per server instead of the list of runs. */
  details?: ReadonlyMap<ServerName, string>;
}

/** One figure per server (the median of its runs), then each other server's ratio to `reference`. */
function compare(
  what: string,
  unit: string,
  samples: Samples,
  reference: ServerName,
  goal: Goal,
  options: CompareOptions = {},
): Figure[] {
  const figures: Figure[] = [];
  const medians = new Map<ServerName, number>();
  for (const [server, values] of samples) {
    medians.set(server, median(values));
    figures.push({
      label: `${what}: ${server}`,
      value: median(values),
      unit,
      detail: options.details?.get(server) ?? runsDetail(values, unit, options.digits),
    });
  }
  const base = medians.get(reference) ?? Number.NaN;
  for (const [server, value] of medians) {
    if (server === reference) continue;
    figures.push({
      label: `ratio ${what}: ${server} / ${reference}`,
      value: value / base,
      unit: 'x',
      ...(server === 'homeport' ? { goal } : {}),
    });
  }
  return figures;
}

async function smallGets(context: BenchmarkContext, servers: readonly DavServer[]): Promise<Figure[]> {
  context.log(
    `4 KiB GET: wrk -t2 -c64, a ${context.warmupSec}s warm-up per server, then ${SMALL_GET_RUNS} rounds of ${context.durationSec}s`,
  );
  const samples = await measureSmallGet(context, servers, SMALL_GET_RUNS);
  const details = new Map<ServerName, string>();
  for (const [server, values] of samples.requestsPerSec) {
    const p50 = median(samples.p50Ms.get(server) ?? []);
    const p99 = median(samples.p99Ms.get(server) ?? []);
    details.set(
      server,
      `${runsDetail(values, 'req/s')}; median p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
  }
  return [
    ...compare(
      '4 KiB GET c64',
      'req/s',
      samples.requestsPerSec,
      'nginx',
      { comparison: '>=', target: 0.5 },
      {
        details,
      },
    ),
    againstNode('4 KiB GET c64', samples.requestsPerSec),
  ];
}

/**
 * Homeport next to the bare node:http ceiling (no goal: it says how much of the gap to nginx is Node.js
 * itself and how much is Homeport's own work per request or per byte).
 */
function againstNode(what: string, samples: Samples): Figure {
  const homeport = median(samples.get('homeport') ?? []);
  const node = median(samples.get('node') ?? []);
  return {
    label: `ratio ${what}: homeport / node (Node.js ceiling)`,
    value: homeport / node,
    unit: 'x',
    detail: 'bare node:http with the same worker count, no auth, no WebDAV (peer-node.mjs)',
  };
}

function peersBlock(servers: readonly DavServer[]): string[] {
  return ['peers:', ...servers.map((server) => `  ${server.name}: ${server.config}`)];
}

export const benchmark: Benchmark = {
  name: 'webdav',
  description:
    'Homeport WebDAV agent vs nginx, apache2 mod_dav, rclone serve webdav (and bare node:http): 1 GiB GET/PUT, PROPFIND of 10,000 and 100,000 files, 4 KiB GET',
  async run(context) {
    context.log(
      LISTINGS_ONLY
        ? 'BENCH_WEBDAV_ONLY=propfind: creating the 10,000-file and 100,000-file folders'
        : 'creating the fixtures (1 GiB file, 4 KiB file, 10,000-file and 100,000-file folders)',
    );
    const started = Date.now();
    const fixtures = createFixtures(context.workDir, LISTINGS_ONLY);
    context.log(`  made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const servers: DavServer[] = [];
    try {
      servers.push(...(await startPeers(fixtures, LISTINGS_ONLY)));
      servers.push(await startHomeportServer(fixtures, context.workDir));
      for (const server of servers) context.log(`${server.name}: ${server.description}`);
      for (const line of peersBlock(servers)) context.log(line);

      if (LISTINGS_ONLY) return await listings(context, servers);
      const bulk = pick(servers, ['nginx', 'rclone', 'node', 'homeport']);
      context.log(`1 GiB GET (curl), a warm-up then ${GET_RUNS} rounds`);
      const gets = await measureGet(context, bulk, GET_RUNS);
      context.log(
        `1 GiB PUT (curl -T) to a new name, a warm-up then ${PUT_RUNS} rounds, each upload removed and synced`,
      );
      const puts = await measurePut(context, bulk, fixtures, PUT_RUNS);
      const propfinds = await listings(context, servers);
      const small = await smallGets(context, pick(servers, ['nginx', 'rclone', 'node', 'homeport']));

      const log = join(context.workDir, 'homeport.log');
      context.log(`homeport log: ${formatNumber(statSync(log).size / 1024, 1)} KiB written during the run`);
      for (const line of peersBlock(servers)) context.log(line);
      return [
        ...compare('GET 1 GiB', 'MB/s', gets, 'nginx', { comparison: '>=', target: 0.9 }),
        ...compare('PUT 1 GiB', 'MB/s', puts, 'nginx', { comparison: '>=', target: 0.9 }),
        againstNode('PUT 1 GiB', puts),
        ...propfinds,
        ...small,
      ];
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
};

/** The PROPFIND figures: both bodies on 10,000 files, then allprop on 100,000 with Homeport's memory. */
async function listings(context: BenchmarkContext, servers: readonly DavServer[]): Promise<Figure[]> {
  const listers = pick(servers, ['apache', 'rclone', 'homeport']);
  const propfinds: Figure[] = [];
  const folder = { name: FOLDER_NAME, files: FOLDER_FILES };
  for (const body of PROPFIND_BODIES) {
    context.log(
      `PROPFIND Depth 1 of ${FOLDER_FILES} files (${body.name}), a checked warm-up then ${PROPFIND_RUNS} rounds`,
    );
    const samples = await measurePropfind(context, listers, folder, body, PROPFIND_RUNS);
    propfinds.push(
      ...compare(`PROPFIND ${body.name}`, 'ms', samples, 'apache', PROPFIND_GOAL, { digits: 1 }),
    );
  }
  propfinds.push(...(await hugeListing(context, servers)));
  return propfinds;
}
/**
 * PROPFIND Depth 1 (allprop) of 100,000 files on apache and Homeport (rclone would answer from its listing
 * cache), then one more on Homeport with its processes' RSS sampled: the peak next to the baseline.
 */
async function hugeListing(context: BenchmarkContext, servers: readonly DavServer[]): Promise<Figure[]> {
  const folder = { name: HUGE_FOLDER_NAME, files: HUGE_FOLDER_FILES };
  const body = PROPFIND_BODIES[0];
  context.log(
    `PROPFIND Depth 1 of ${HUGE_FOLDER_FILES} files (${body.name}), a checked warm-up then ${HUGE_PROPFIND_RUNS} rounds`,
  );
  const samples = await measurePropfind(
    context,
    pick(servers, ['apache', 'homeport']),
    folder,
    body,
    HUGE_PROPFIND_RUNS,
  );
  const figures = compare(`PROPFIND 100k ${body.name}`, 'ms', samples, 'apache', PROPFIND_GOAL, {
    digits: 0,
  });
  const [homeport] = pick(servers, ['homeport']);
  if (homeport?.pid === undefined) throw new Error('no pid for homeport: its memory cannot be read');
  const memory = await measureListingMemory(context, homeport, homeport.pid, folder, body);
  const growth = memory.peakMiB - memory.baselineMiB;
  context.log(
    `  homeport RSS (${memory.processes}) during PROPFIND 100k: ${memory.baselineMiB.toFixed(1)} MiB → ` +
      `peak ${memory.peakMiB.toFixed(1)} MiB (+${growth.toFixed(1)}), the request took ${memory.totalMs.toFixed(0)} ms`,
  );
  figures.push({
    label: 'homeport RSS growth during PROPFIND 100k',
    value: growth,
    unit: 'MiB',
    goal: { comparison: '<=', target: HUGE_LISTING_GROWTH_MIB },
    detail:
      `${memory.processes} (homeport, its WebDAV workers and children), sampled every 5 ms: baseline ` +
      `${memory.baselineMiB.toFixed(1)} MiB, peak ${memory.peakMiB.toFixed(1)} MiB`,
  });
  return figures;
}
