// bench/files: the browser's way to an export's files (issue 13) next to WebDAV on the same agent, in one run:
// 1 GiB download (the page's download link: GET ?download&access_token=) against a WebDAV GET, 1 GiB upload
// (the page's resumable protocol: POST ?upload, then 8 MiB PATCHes on one connection) against a WebDAV PUT,
// and the listing of a 10,000-file folder (GET ?list) against PROPFIND Depth 1 asking for the same fields.

import { closeSync, mkdirSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HomeportInstance, requireCommand, startHomeport, startProcess } from '@homeport/testkit';
import { apiCall, exportIdOf } from '../lib/homeport-api.js';
import { logIn } from '../lib/homeport-session.js';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure } from '../lib/types.js';
import { runCurl } from '../webdav/curl.js';
import { writeRandomFile } from '../webdav/fixtures.js';

const BIG_BYTES = 1024 * 1024 * 1024;
/** What the files page sends per PATCH of a resumable upload (apps/web/src/pages/files). */
const CHUNK_BYTES = Number(process.env.BENCH_FILES_PART_MIB ?? 8) * 1024 * 1024;
const FOLDER_FILES = 10_000;
const TRANSFER_RUNS = 5;
const LIST_RUNS = 7;
/** PROPFIND for what the page's listing holds: name, size, modified, type, folder or file. */
const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>' +
  '<D:getcontentlength/><D:getlastmodified/><D:getcontenttype/><D:resourcetype/></D:prop></D:propfind>';

interface Fixtures {
  root: string;
  big: string;
  chunks: string[];
}

/** The export (1 GiB file, a 10,000-file folder, an uploads folder) and the 1 GiB file cut in 8 MiB parts. */
function createFixtures(workDir: string): Fixtures {
  const root = join(workDir, 'files');
  mkdirSync(join(root, 'ten-thousand'), { recursive: true });
  mkdirSync(join(root, 'uploads'));
  for (let index = 0; index < FOLDER_FILES; index += 1) {
    const name = `file-${String(index).padStart(5, '0')}.txt`;
    writeFileSync(join(root, 'ten-thousand', name), `${name}\n`.repeat(1 + (index % 16)));
  }
  const big = join(root, 'big-1g.bin');
  writeRandomFile(big, BIG_BYTES);
  // The parts live outside the export: curl sends each as one PATCH body, as the page sends a Blob slice.
  const partsDir = join(workDir, 'parts');
  mkdirSync(partsDir);
  const whole = openSync(big, 'r');
  const chunks: string[] = [];
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let offset = 0; offset < BIG_BYTES; offset += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, BIG_BYTES - offset);
      readFully(whole, buffer, length, offset);
      const path = join(partsDir, `part-${String(chunks.length).padStart(4, '0')}`);
      writeFileSync(path, buffer.subarray(0, length));
      chunks.push(path);
    }
  } finally {
    closeSync(whole);
  }
  return { root, big, chunks };
}

function readFully(fd: number, buffer: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) throw new Error('the fixture ended early');
    done += read;
  }
}

interface Access {
  /** WebDAV, as a mount: Basic. */
  mountUrl: string;
  basic: string;
  /** The files page: its browser-access answer. */
  baseUrl: string;
  token: string;
  origin: string;
}

async function signIn(homeport: HomeportInstance): Promise<Access> {
  const { token } = await logIn(homeport);
  const exportId = await exportIdOf(homeport, token, 'Bench');
  const mount = await apiCall<{ mountUrl: string; credential: { username: string; password: string } }>(
    homeport,
    '/api/v1/mount-profiles/issue',
    token,
    { exportId },
  );
  const browser = await apiCall<{ baseUrl: string; token: string }>(
    homeport,
    `/api/v1/exports/${exportId}/browser-access`,
    token,
    {},
  );
  const { username, password } = mount.credential;
  return {
    mountUrl: mount.mountUrl,
    basic: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
    baseUrl: browser.baseUrl,
    token: browser.token,
    origin: homeport.url,
  };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
};
const mb = (bytesPerSec: number) => bytesPerSec / 1e6;

async function sync(): Promise<void> {
  const child = await startProcess(requireCommand('sync', 'coreutils'), [], { name: 'sync' });
  await child.exited;
}

/**
 * The page's resumable upload with curl: POST ?upload, then every 8 MiB part as a PATCH with its offset, all
 * on one connection (`--next`). Returns MB/s over the sum of curl's own request times.
 */
async function resumableUpload(access: Access, fixtures: Fixtures, name: string): Promise<number> {
  const folder = `${access.baseUrl}uploads/`;
  const auth = { Authorization: `Bearer ${access.token}`, Origin: access.origin };
  const created = await fetch(`${folder}?upload`, {
    method: 'POST',
    headers: { ...auth, 'Upload-Length': String(BIG_BYTES), 'X-File-Name': encodeURIComponent(name) },
  });
  if (created.status !== 201) throw new Error(`POST ?upload: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const url = `${folder}?upload=${encodeURIComponent(id)}`;
  const args: string[] = [];
  fixtures.chunks.forEach((chunk, index) => {
    if (index > 0) args.push('--next');
    args.push('-sS', '-o', '/dev/null', '-w', 'PART %{http_code} %{time_total}\\n', '-X', 'PATCH');
    for (const [header, value] of Object.entries({
      ...auth,
      'Upload-Offset': String(index * CHUNK_BYTES),
      'Content-Type': 'application/offset+octet-stream',
    }))
      args.push('-H', `${header}: ${value}`);
    // --data-binary, not -T: curl -T appends the local file name to a URL whose path ends with a slash.
    args.push('--data-binary', `@${chunk}`, url);
  });
  const child = await startProcess(requireCommand('curl', 'curl'), args, { name: 'curl resumable upload' });
  const exit = await child.exited;
  const parts = child
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('PART '))
    .map((line) => line.split(' ').map(Number));
  const statuses = parts.map(([, status]) => status);
  const expected = fixtures.chunks.map((_, index) => (index === fixtures.chunks.length - 1 ? 201 : 204));
  if (exit.code !== 0 || JSON.stringify(statuses) !== JSON.stringify(expected))
    throw new Error(`resumable upload failed (${JSON.stringify(exit)}): statuses ${statuses.join(',')}`);
  const seconds = parts.reduce((sum, [, , time]) => sum + (time ?? 0), 0);
  return mb(BIG_BYTES / seconds);
}

async function transfers(context: BenchmarkContext, access: Access, fixtures: Fixtures) {
  const samples = {
    get: [] as number[],
    download: [] as number[],
    put: [] as number[],
    resumable: [] as number[],
  };
  await sync();
  for (let round = 0; round <= TRANSFER_RUNS; round += 1) {
    const label = round === 0 ? 'warm-up' : `run ${round}`;
    const get = await runCurl({
      name: 'dav-get',
      url: `${access.mountUrl}big-1g.bin`,
      headers: { Authorization: access.basic },
    });
    const download = await runCurl({
      name: 'browser-download',
      url: `${access.baseUrl}big-1g.bin?download&access_token=${encodeURIComponent(access.token)}`,
    });
    for (const [what, result] of [
      ['WebDAV GET', get],
      ['browser download', download],
    ] as const)
      if (result.status !== 200 || result.downloadBytes !== BIG_BYTES)
        throw new Error(`${what}: status ${result.status}, ${result.downloadBytes} bytes`);
    const put = await runCurl({
      name: 'dav-put',
      url: `${access.mountUrl}uploads/put-${round}.bin`,
      headers: { Authorization: access.basic },
      upload: fixtures.big,
    });
    if (put.status !== 201 || put.uploadBytes !== BIG_BYTES)
      throw new Error(`WebDAV PUT: status ${put.status}`);
    rmSync(join(fixtures.root, 'uploads', `put-${round}.bin`));
    await sync();
    const resumable = await resumableUpload(access, fixtures, `resumable-${round}.bin`);
    rmSync(join(fixtures.root, 'uploads', `resumable-${round}.bin`));
    await sync();
    context.log(
      `  ${label}: download ${mb(download.downloadBytesPerSec).toFixed(0)} vs GET ${mb(get.downloadBytesPerSec).toFixed(0)} MB/s; ` +
        `resumable upload ${resumable.toFixed(0)} vs PUT ${mb(put.uploadBytesPerSec).toFixed(0)} MB/s`,
    );
    if (round === 0) continue;
    samples.get.push(mb(get.downloadBytesPerSec));
    samples.download.push(mb(download.downloadBytesPerSec));
    samples.put.push(mb(put.uploadBytesPerSec));
    samples.resumable.push(resumable);
  }
  return samples;
}

async function listings(context: BenchmarkContext, access: Access) {
  const bodyFile = join(context.workDir, 'propfind.xml');
  writeFileSync(bodyFile, PROPFIND_BODY);
  const listUrl = `${access.baseUrl}ten-thousand/?list`;
  const check = await fetch(listUrl, {
    headers: { Authorization: `Bearer ${access.token}`, Origin: access.origin },
  });
  const listed = (await check.json()) as { entries: unknown[] };
  if (check.status !== 200 || listed.entries.length !== FOLDER_FILES)
    throw new Error(`?list: status ${check.status}, ${listed.entries.length} entries`);
  const samples = { list: [] as number[], propfind: [] as number[] };
  for (let round = 0; round <= LIST_RUNS; round += 1) {
    const list = await runCurl({
      name: 'browser-list',
      url: listUrl,
      headers: { Authorization: `Bearer ${access.token}`, Origin: access.origin },
    });
    const propfind = await runCurl({
      name: 'propfind',
      method: 'PROPFIND',
      url: `${access.mountUrl}ten-thousand/`,
      headers: { Authorization: access.basic, Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
      body: bodyFile,
    });
    if (list.status !== 200 || propfind.status !== 207)
      throw new Error(`listing: ?list ${list.status}, PROPFIND ${propfind.status}`);
    if (round === 0) continue;
    samples.list.push(list.totalMs);
    samples.propfind.push(propfind.totalMs);
  }
  context.log(
    `  ?list ${samples.list.map((ms) => ms.toFixed(0)).join(', ')} ms; PROPFIND ${samples.propfind.map((ms) => ms.toFixed(0)).join(', ')} ms`,
  );
  return samples;
}

const runs = (values: readonly number[], unit: string) =>
  `runs: ${values.map((value) => formatNumber(value, 0)).join(', ')} ${unit}`;

export const benchmark: Benchmark = {
  name: 'files',
  description:
    'files in the browser vs WebDAV on the same agent: 1 GiB download and resumable upload, listing 10,000 files',
  async run(context) {
    context.log('creating the fixtures (1 GiB file and its 8 MiB parts, a 10,000-file folder)');
    const fixtures = createFixtures(context.workDir);
    const homeport = await startHomeport({
      env: {
        HOMEPORT_EXPORTS: `${fixtures.root}:Bench`,
        HOMEPORT_RATE_LIMIT_MAX: '0',
        HOMEPORT_LOG_LEVEL: 'warn',
        HOMEPORT_DAV_WORKERS: 'auto',
      },
      logFile: join(context.workDir, 'homeport.log'),
    });
    try {
      const access = await signIn(homeport);
      context.log(`homeport ${homeport.url}, agent ${access.mountUrl}, HOMEPORT_DAV_WORKERS=auto`);
      context.log(
        `1 GiB both ways, a warm-up then ${TRANSFER_RUNS} rounds (each upload removed and synced); curl for every request`,
      );
      const moved = await transfers(context, access, fixtures);
      context.log(`listing ten-thousand/, a warm-up then ${LIST_RUNS} rounds`);
      const listed = await listings(context, access);
      const ratio = (a: readonly number[], b: readonly number[]) => median(a) / median(b);
      return [
        {
          label: 'download 1 GiB: browser (?download)',
          value: median(moved.download),
          unit: 'MB/s',
          detail: runs(moved.download, 'MB/s'),
        },
        {
          label: 'download 1 GiB: WebDAV GET',
          value: median(moved.get),
          unit: 'MB/s',
          detail: runs(moved.get, 'MB/s'),
        },
        {
          label: 'ratio download: browser / WebDAV',
          value: ratio(moved.download, moved.get),
          unit: 'x',
          goal: { comparison: '>=', target: 0.8 },
        },
        {
          label: 'upload 1 GiB: browser (resumable, 8 MiB parts)',
          value: median(moved.resumable),
          unit: 'MB/s',
          detail: runs(moved.resumable, 'MB/s'),
        },
        {
          label: 'upload 1 GiB: WebDAV PUT',
          value: median(moved.put),
          unit: 'MB/s',
          detail: runs(moved.put, 'MB/s'),
        },
        {
          label: 'ratio upload: browser / WebDAV',
          value: ratio(moved.resumable, moved.put),
          unit: 'x',
          goal: { comparison: '>=', target: 0.8 },
        },
        {
          label: 'list 10,000 files: ?list',
          value: median(listed.list),
          unit: 'ms',
          detail: runs(listed.list, 'ms'),
        },
        {
          label: 'list 10,000 files: PROPFIND Depth 1',
          value: median(listed.propfind),
          unit: 'ms',
          detail: runs(listed.propfind, 'ms'),
        },
        {
          label: 'ratio list: ?list / PROPFIND',
          value: ratio(listed.list, listed.propfind),
          unit: 'x',
          goal: { comparison: '<=', target: 1 },
        },
      ] satisfies Figure[];
    } finally {
      await homeport.process.stop();
    }
  },
};
