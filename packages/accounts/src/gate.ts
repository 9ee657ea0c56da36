// Small concurrency tools: a bounded semaphore for password hashing and a mutex for read-check-write sequences.

/** Runs at most `limit` tasks at once and queues at most `queueLimit` more; past that, `run` returns undefined. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.queueLimit) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return { value: await task() };
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, or free it.
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** Serialises async sections (e.g. "count admins, then demote one") so two of them cannot interleave. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  lock<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
