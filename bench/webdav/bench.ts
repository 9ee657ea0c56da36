// bench/webdav: Homeport's WebDAV agent against nginx, apache2 mod_dav and rclone serve webdav on the same
// files in one run: 1 GiB GET and PUT, PROPFIND Depth 1 of 10,000 files, 4 KiB GET from 64 connections.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure, Goal } from '../lib/types.js';
import { createFixtures, FOLDER_FILES } from './fixtures.js';
import { measureGet, measurePropfind, measurePut, measureSmallGet, median, type Samples } from './measure.js';
import { type DavServer, type ServerName, startHomeportServer, startPeers } from './servers.js';

/** Runs per throughput figure (the median is reported), per PROPFIND figure and per 4 KiB GET figure. */
const THROUGHPUT_RUNS = 3;
const PROPFIND_RUNS = 7;
const SMALL_GET_RUNS = 3;

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
  return compare(
    '4 KiB GET c64',
    'req/s',
    samples.requestsPerSec,
    'nginx',
    { comparison: '>=', target: 0.35 },
    {
      details,
    },
  );
}

export const benchmark: Benchmark = {
  name: 'webdav',
  description:
    'Homeport WebDAV agent vs nginx, apache2 mod_dav, rclone serve webdav: 1 GiB GET/PUT, PROPFIND of 10,000 files, 4 KiB GET',
  async run(context) {
    context.log('creating the fixtures (1 GiB file, 4 KiB file, 10,000-file folder)');
    const fixtures = createFixtures(context.workDir);
    const servers: DavServer[] = [];
    try {
      servers.push(...(await startPeers(fixtures)));
      servers.push(await startHomeportServer(fixtures, context.workDir));
      for (const server of servers) context.log(`${server.name}: ${server.description}`);

      const bulk = pick(servers, ['nginx', 'rclone', 'homeport']);
      context.log(`1 GiB GET (curl), a warm-up then ${THROUGHPUT_RUNS} rounds`);
      const gets = await measureGet(context, bulk, THROUGHPUT_RUNS);
      context.log(`1 GiB PUT (curl -T) to a new name, a warm-up then ${THROUGHPUT_RUNS} rounds`);
      const puts = await measurePut(context, bulk, fixtures, THROUGHPUT_RUNS);

      const listers = pick(servers, ['apache', 'rclone', 'homeport']);
      const propfinds: Figure[] = [];
      for (const body of PROPFIND_BODIES) {
        context.log(
          `PROPFIND Depth 1 of ${FOLDER_FILES} files (${body.name}), a checked warm-up then ${PROPFIND_RUNS} rounds`,
        );
        const samples = await measurePropfind(context, listers, body, PROPFIND_RUNS);
        propfinds.push(
          ...compare(
            `PROPFIND ${body.name}`,
            'ms',
            samples,
            'apache',
            { comparison: '<=', target: 1 },
            { digits: 1 },
          ),
        );
      }
      const small = await smallGets(context, pick(servers, ['nginx', 'rclone', 'homeport']));

      const log = join(context.workDir, 'homeport.log');
      context.log(`homeport log: ${formatNumber(statSync(log).size / 1024, 1)} KiB written during the run`);
      return [
        ...compare('GET 1 GiB', 'MB/s', gets, 'nginx', { comparison: '>=', target: 0.9 }),
        ...compare('PUT 1 GiB', 'MB/s', puts, 'nginx', { comparison: '>=', target: 0.9 }),
        ...propfinds,
        ...small,
      ];
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
};
