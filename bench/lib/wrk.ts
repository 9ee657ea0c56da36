// Runs wrk with a generated Lua script whose done() prints the summary as JSON, so no figure is scraped
// from wrk's human-oriented text output.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand, startProcess } from '@homeport/testkit';

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSec: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Count responses per status code (slower: wrk then parses every response in Lua). */
  countStatuses?: boolean;
  /** Pause per connection between requests: a paced probe instead of a closed-loop flood. */
  delayMs?: number;
  /**
   * Lua added after the generated script, e.g. a `request()` that varies each request (bench/scale). It
   * may wrap `setup` and `init`, which the generated script defines.
   */
  extraLua?: string;
  /** Folder for the generated script. */
  workDir: string;
  /** Names the script file, for a post-mortem. */
  name: string;
}

export interface WrkResult {
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
  /** Responses per status code; only with countStatuses. */
  statuses: Record<string, number>;
}

/**
 * A Lua string literal for any text: decimal escapes for quotes, backslashes and control characters, always
 * three digits — Lua reads up to three, so `\34` followed by a digit (a JSON body's `"` before a password
 * starting with `1`) would be read as `\341`, an invalid escape, and wrk then ran without the script.
 */
export function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 32 || byte > 126 || char === '"' || char === '\\' ? `\\${String(byte).padStart(3, '0')}` : char;
  }
  return `${out}"`;
}

function script(options: WrkOptions): string {
  const lines = [`wrk.method = ${luaString(options.method ?? 'GET')}`];
  if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  }
  lines.push(`
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
`);
  if (options.countStatuses) {
    lines.push('function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end');
  }
  if (options.delayMs !== undefined) lines.push(`function delay() return ${Math.round(options.delayMs)} end`);
  if (options.extraLua !== undefined) lines.push(options.extraLua);
  lines.push(`
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, count)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"meanUs":%f,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},"statuses":{%s}}\\n',
    summary.requests, summary.duration, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(parts, ",")))
end
`);
  return lines.join('\n');
}

interface RawResult {
  requests: number;
  durationUs: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  errors: WrkResult['errors'];
  statuses: Record<string, number>;
}

function isNumberRecord(value: unknown, keys?: readonly string[]): value is Record<string, number> {
  if (typeof value !== 'object' || value === null) return false;
  const entries = Object.entries(value);
  return (
    entries.every(([, item]) => typeof item === 'number') &&
    (keys ?? []).every((key) => typeof (value as Record<string, unknown>)[key] === 'number')
  );
}

function parseResult(output: string, everything: string): RawResult {
  const line = output.split('\n').find((text) => text.startsWith('WRK_RESULT '));
  // wrk reports a script that does not load on stderr and then runs without it (plain GETs): say so.
  if (!line) throw new Error(`wrk printed no WRK_RESULT line (did its script load?):\n${everything}`);
  const parsed: unknown = JSON.parse(line.slice('WRK_RESULT '.length));
  const { errors, statuses, ...numbers } = parsed as Record<string, unknown>;
  const fields = ['requests', 'durationUs', 'meanUs', 'p50Us', 'p90Us', 'p99Us', 'maxUs'];
  if (
    !isNumberRecord(numbers, fields) ||
    !isNumberRecord(errors, ['connect', 'read', 'write', 'timeout', 'status']) ||
    !isNumberRecord(statuses)
  ) {
    throw new Error(`unexpected WRK_RESULT shape: ${line}`);
  }
  // Every field was checked to be a number just above.
  return {
    ...(numbers as Omit<RawResult, 'errors' | 'statuses'>),
    errors: errors as RawResult['errors'],
    statuses,
  };
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const wrk = requireCommand('wrk', 'wrk');
  const scriptFile = join(options.workDir, `${options.name}.lua`);
  writeFileSync(scriptFile, script(options));
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSec}s`,
    '--timeout',
    '5s',
    '-s',
    scriptFile,
    options.url,
  ];
  const child = await startProcess(wrk, args, { name: `wrk ${options.name}` });
  const status = await child.exited;
  if (status.code !== 0)
    throw new Error(`wrk ${args.join(' ')} failed (${JSON.stringify(status)}):\n${child.output()}`);
  const raw = parseResult(child.stdout(), child.output());
  const durationSec = raw.durationUs / 1e6;
  return {
    requests: raw.requests,
    durationSec,
    requestsPerSec: raw.requests / durationSec,
    latencyMs: {
      mean: raw.meanUs / 1000,
      p50: raw.p50Us / 1000,
      p90: raw.p90Us / 1000,
      p99: raw.p99Us / 1000,
      max: raw.maxUs / 1000,
    },
    errors: raw.errors,
    statuses: raw.statuses,
  };
}

/** A one-line summary for progress output. */
export function describeWrk(result: WrkResult): string {
  const { p50, p99 } = result.latencyMs;
  const e = result.errors;
  const errorCount = e.connect + e.read + e.write + e.timeout;
  return (
    `${Math.round(result.requestsPerSec)} req/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ` +
    `${result.requests} requests, non-2xx/3xx ${e.status}, socket errors ${errorCount}`
  );
}
