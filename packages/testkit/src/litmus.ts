// Runs litmus, the WebDAV conformance suite (Debian package `litmus`), against a URL and parses its per-group
// summaries, failures and warnings.

import { execFile } from 'node:child_process';
import { requireCommand } from './require-command.js';
import { tempDir } from './temp-dir.js';

export const LITMUS_GROUPS = ['basic', 'copymove', 'props', 'locks', 'http'] as const;

export interface LitmusTestOutcome {
  group: string;
  test: string;
  /** litmus's own words after FAIL, WARNING or SKIPPED. */
  detail: string;
}

export interface LitmusGroupResult {
  group: string;
  run: number;
  passed: number;
  failed: number;
  skipped: number;
  warnings: number;
  /** The line litmus printed: "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%". */
  summary: string;
}

export interface LitmusResult {
  groups: LitmusGroupResult[];
  failures: LitmusTestOutcome[];
  warnings: LitmusTestOutcome[];
  /** Each group's summary line, plus its warning/skip count lines, in order: what a report should show. */
  summaryText: string;
  /** The whole output, carriage returns resolved. */
  output: string;
  exitCode: number | null;
}

export interface RunLitmusOptions {
  user?: string;
  password?: string;
  /** Default: all five groups. */
  groups?: readonly string[];
  /** Default 120 s; litmus is killed past it. */
  timeoutMs?: number;
}

const SUMMARY = /^<- summary for `([^']+)': of (\d+) tests run: (\d+) passed, (\d+) failed\./;
const RUNNING = /^-> running `([^']+)':/;
const WARNINGS_ISSUED = /^-> (\d+) warnings? (?:was|were) issued\./;
const SKIPPED_COUNT = /^-> (\d+) tests? (?:was|were) skipped\./;
const TEST_LINE = /^\s*\d+\.\s+([A-Za-z0-9_]+)\.*\s+(FAIL|SKIPPED|WARNING:)\s*(.*)$/;

/**
 * Parses litmus output. Without a terminal litmus redraws each test line with '\r', so only the text after the
 * last '\r' of a line counts.
 */
export function parseLitmusOutput(raw: string, exitCode: number | null = 0): LitmusResult {
  const lines = raw.split('\n').map((line) => line.slice(line.lastIndexOf('\r') + 1));
  const groups: LitmusGroupResult[] = [];
  const failures: LitmusTestOutcome[] = [];
  const warnings: LitmusTestOutcome[] = [];
  const summaryLines: string[] = [];
  let group = '';
  for (const line of lines) {
    const running = RUNNING.exec(line);
    if (running?.[1] !== undefined) {
      group = running[1];
      continue;
    }
    const test = TEST_LINE.exec(line);
    if (test?.[1] !== undefined) {
      const outcome = { group, test: test[1], detail: (test[3] ?? '').replace(/^\((.*)\)$/, '$1') };
      if (test[2] === 'FAIL') failures.push(outcome);
      else if (test[2] === 'WARNING:') warnings.push(outcome);
      continue;
    }
    const summary = SUMMARY.exec(line);
    if (summary !== null) {
      summaryLines.push(line);
      groups.push({
        group: summary[1] ?? group,
        run: Number(summary[2]),
        passed: Number(summary[3]),
        failed: Number(summary[4]),
        skipped: 0,
        warnings: 0,
        summary: line,
      });
      continue;
    }
    const last = groups[groups.length - 1];
    const issued = WARNINGS_ISSUED.exec(line);
    if (issued !== null && last !== undefined) {
      last.warnings = Number(issued[1]);
      summaryLines.push(line);
      continue;
    }
    const skipped = SKIPPED_COUNT.exec(line);
    if (skipped !== null && last !== undefined) {
      last.skipped = Number(skipped[1]);
      summaryLines.push(line);
    }
  }
  return {
    groups,
    failures,
    warnings,
    summaryText: summaryLines.join('\n'),
    output: lines.join('\n'),
    exitCode,
  };
}

/**
 * Runs `litmus -k <url> [user password]` (every group, not stopping at the first failing one) in a temp
 * folder, where litmus leaves its debug.log and child.log. Throws `missing_dependency` when litmus is not
 * installed; a failing server is reported in the result, not thrown.
 *
 * @example
 *   const result = await runLitmus('http://127.0.0.1:8080/dav/');
 *   expect(result.failures).toEqual([]);
 */
export function runLitmus(url: string, options: RunLitmusOptions = {}): Promise<LitmusResult> {
  const litmus = requireCommand('litmus', 'litmus');
  const args = ['-k', url];
  if (options.user !== undefined) args.push(options.user, options.password ?? '');
  const env = { ...process.env, TESTS: (options.groups ?? LITMUS_GROUPS).join(' ') };
  const cwd = tempDir('homeport-litmus-');
  return new Promise((resolve, reject) => {
    execFile(
      litmus,
      args,
      { cwd, env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // litmus exits 1 when a test fails; that is a result. Only "could not run it" is an error.
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        if (error !== null && (code === null || error.killed)) {
          reject(new Error(`litmus did not finish: ${error.message}\n${stdout}${stderr}`));
          return;
        }
        resolve(parseLitmusOutput(`${stdout}${stderr}`, code));
      },
    );
  });
}
