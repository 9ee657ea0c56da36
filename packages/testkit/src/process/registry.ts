// Everything the testkit started in this process (servers, browsers, later dockerd and nats-server), so one
// afterAll(stopAll) ends what a failing test left behind.
// A module-level set on purpose: the point is to find what no test variable still refers to.

export interface Stoppable {
  /** Shown when stopping fails, e.g. `homeport (pid 1234)`. */
  readonly description: string;
  stop(): Promise<unknown>;
  /** Last-resort synchronous kill when the test process itself exits (SIGKILL by PID). */
  killNow?(): void;
}

const running = new Set<Stoppable>();
let exitHookInstalled = false;

export function register(item: Stoppable): void {
  running.add(item);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Children are started with detached: false but still outlive a test worker that dies; the 'exit' hook
    // is synchronous, so it can only send signals, which is exactly what is needed.
    process.once('exit', killAllNow);
  }
}

/** Sends SIGKILL to everything still registered; synchronous, for 'exit' hooks. */
export function killAllNow(): void {
  for (const entry of running) entry.killNow?.();
}

export function unregister(item: Stoppable): void {
  running.delete(item);
}

/** How many started things are still running; a testkit test uses it to prove stopAll() cleared them. */
export function runningCount(): number {
  return running.size;
}

/**
 * Stops everything still running, all at once, and waits for each. Fails (after trying every one) if any
 * could not be stopped, so a leak does not go unnoticed.
 *
 * @example
 *   afterAll(async () => { await stopAll(); removeTempDirs(); });
 */
export async function stopAll(): Promise<void> {
  const entries = [...running];
  const results = await Promise.allSettled(entries.map((entry) => entry.stop()));
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${entries[index]?.description}: ${String(result.reason)}`] : [],
  );
  if (failures.length > 0) throw new Error(`stopAll: could not stop\n  ${failures.join('\n  ')}`);
}
