// Polling for a condition in tests, instead of sleeping and then asserting.

/**
 * Calls `probe` every 25 ms until it returns something other than undefined; returns that value and how long
 * it took. Fails after `timeoutMs`, naming `what`. A probe that throws fails the wait at once.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
