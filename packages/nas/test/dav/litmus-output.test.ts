// The litmus output parser the conformance test relies on: it must see failures and warnings, or a green
// litmus test would prove nothing.

import { parseLitmusOutput } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';

// Shaped like litmus 0.13 without a terminal: each test line is drawn twice, separated by '\r'.
const SAMPLE = [
  "-> running `basic':",
  '\r 0. init..................\r 0. init.................. pass',
  '\r 8. delete_fragment.......\r 8. delete_fragment....... WARNING: DELETE removed collection resource with Request-URI including fragment; unsafe',
  '    ...................... pass (with 1 warning)',
  "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%",
  '-> 1 warning was issued.',
  "-> running `locks':",
  '\r14. copy..................\r14. copy.................. FAIL (could not COPY locked resource: 404 Not Found)',
  '\r15. cond_put..............\r15. cond_put.............. SKIPPED',
  "<- summary for `locks': of 38 tests run: 37 passed, 1 failed. 97.4%",
  '-> 3 tests were skipped.',
].join('\n');

describe('parseLitmusOutput', () => {
  it('reads per-group summaries, warnings, failures and skips', () => {
    const result = parseLitmusOutput(SAMPLE);
    expect(result.groups).toEqual([
      expect.objectContaining({ group: 'basic', run: 16, passed: 16, failed: 0, warnings: 1, skipped: 0 }),
      expect.objectContaining({ group: 'locks', run: 38, passed: 37, failed: 1, warnings: 0, skipped: 3 }),
    ]);
    expect(result.failures).toEqual([
      { group: 'locks', test: 'copy', detail: 'could not COPY locked resource: 404 Not Found' },
    ]);
    expect(result.warnings).toEqual([
      {
        group: 'basic',
        test: 'delete_fragment',
        detail: 'DELETE removed collection resource with Request-URI including fragment; unsafe',
      },
    ]);
    expect(result.summaryText.split('\n')).toHaveLength(4);
  });
});
