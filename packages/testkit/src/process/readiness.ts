// The two ways a started process says it is ready: an HTTP URL answers 2xx, or a line matching a pattern
// appears in its output.

export type ReadyCheck =
  /** Polled with GET until it answers 2xx. */
  | { url: string }
  /** Matched against every line of stdout and stderr. */
  | { line: RegExp };

export function describeReadyCheck(check: ReadyCheck): string {
  return 'url' in check ? `GET ${check.url} to answer 2xx` : `a line matching ${check.line}`;
}

/** Resolves once `url` answers 2xx; rejects when `abort` fires. Connection errors just mean "not yet". */
export async function pollUrl(url: string, abort: AbortSignal, intervalMs = 50): Promise<void> {
  while (!abort.aborted) {
    try {
      const response = await fetch(url, { signal: AbortSignal.any([abort, AbortSignal.timeout(2000)]) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // ECONNREFUSED while the server is still starting, or a slow answer that hit the per-try timeout.
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw abort.reason;
}
