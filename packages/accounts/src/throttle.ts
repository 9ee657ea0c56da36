// Login throttling per client IP and per username: failures earn an exponential backoff, answered with 429
// before any password hashing, so a brute force neither succeeds nor eats the CPU other requests need.

export interface LoginThrottleOptions {
  /** Failures allowed per username before backoff. */
  perUser: number;
  /** Failures allowed per IP before backoff. */
  perIp: number;
  /** Attempts one IP may have in flight at once (each one is a password hash). */
  inFlightPerIp?: number;
  /** First backoff and its ceiling, in ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Failures are forgotten after this long without a new one. */
  forgetAfterMs?: number;
  /** Bound on remembered keys; the oldest go first. */
  maxEntries?: number;
  clock?: () => number;
}

interface Entry {
  failures: number;
  inFlight: number;
  blockedUntil: number;
  lastFailureAt: number;
}

export interface LoginAttempt {
  /** Call with the outcome, and await it: a failure is counted before the client hears about it. */
  finish(success: boolean): void | Promise<void>;
}

/** An attempt refused now, and when to come back. */
export interface ThrottleRefusal {
  retryAfterSeconds: number;
}

/**
 * What the accounts service asks before it checks a password: `LoginThrottle` (this process) on SQLite,
 * the shared throttle (shared-throttle.ts, every replica) on KV.
 */
export interface LoginLimiter {
  /** An attempt handle, or a refusal; a shared limiter may reject (the store did not answer). */
  begin(
    ip: string,
    username: string,
  ): LoginAttempt | ThrottleRefusal | Promise<LoginAttempt | ThrottleRefusal>;
}

/** The same for registrations: every attempt counts, per client IP. */
export interface RegistrationLimiter {
  begin(ip: string): RegistrationAttempt | ThrottleRefusal | Promise<RegistrationAttempt | ThrottleRefusal>;
}

export interface RegistrationAttempt {
  finish(): void;
}

/** When an entry with `failures` failures (this one included) is blocked until: backoff past `allowed`. */
export function blockedAfterFailure(
  failures: number,
  allowed: number,
  now: number,
  options: Pick<LoginThrottleOptions, 'baseDelayMs' | 'maxDelayMs'>,
): number | undefined {
  const over = failures - allowed;
  if (over <= 0) return undefined;
  const base = options.baseDelayMs ?? 1000;
  return now + Math.min(base * 2 ** (over - 1), options.maxDelayMs ?? 15 * 60_000);
}

/** Failed logins and their backoff, counted in this process (one Homeport on SQLite). */
export class LoginThrottle implements LoginLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Seconds to wait when the attempt must be refused now, else an attempt handle. */
  begin(ip: string, username: string): LoginAttempt | ThrottleRefusal {
    const now = this.clock();
    const ipKey = `ip:${ip}`;
    const userKey = `user:${username.toLowerCase()}`;
    const ipEntry = this.entry(ipKey, now);
    const userEntry = this.entry(userKey, now);
    const waitMs = Math.max(ipEntry.blockedUntil, userEntry.blockedUntil) - now;
    if (waitMs > 0) return { retryAfterSeconds: Math.ceil(waitMs / 1000) };
    if (ipEntry.inFlight >= (this.options.inFlightPerIp ?? 32)) return { retryAfterSeconds: 1 };
    ipEntry.inFlight += 1;
    let finished = false;
    return {
      finish: (success) => {
        if (finished) return;
        finished = true;
        ipEntry.inFlight -= 1;
        if (success) {
          userEntry.failures = 0;
          userEntry.blockedUntil = 0;
          return;
        }
        const at = this.clock();
        this.fail(ipEntry, this.options.perIp, at);
        this.fail(userEntry, this.options.perUser, at);
      },
    };
  }

  private fail(entry: Entry, allowed: number, now: number): void {
    entry.failures += 1;
    entry.lastFailureAt = now;
    entry.blockedUntil =
      blockedAfterFailure(entry.failures, allowed, now, this.options) ?? entry.blockedUntil;
  }

  private entry(key: string, now: number): Entry {
    let entry = this.entries.get(key);
    const forgetAfter = this.options.forgetAfterMs ?? 15 * 60_000;
    if (
      entry &&
      entry.inFlight === 0 &&
      entry.blockedUntil <= now &&
      now - entry.lastFailureAt > forgetAfter
    ) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      entry = { failures: 0, inFlight: 0, blockedUntil: 0, lastFailureAt: 0 };
      this.entries.set(key, entry);
      if (this.entries.size > (this.options.maxEntries ?? 100_000)) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    return entry;
  }
}

export interface RegistrationThrottleOptions {
  /** Registrations one IP may attempt per window, successful or not. */
  perIp: number;
  windowMs: number;
  /** Registrations one IP may have in flight at once (each one is a password hash). */
  inFlightPerIp?: number;
  maxEntries?: number;
  clock?: () => number;
}

/**
 * Registration throttling per client IP: every attempt counts (creating accounts en masse is the abuse, not
 * failing), and is counted before the password is hashed, so one address cannot fill the hashing queue that
 * everybody's logins wait in.
 */
export class RegistrationThrottle implements RegistrationLimiter {
  private readonly entries = new Map<string, { count: number; inFlight: number; windowStart: number }>();
  private readonly clock: () => number;

  constructor(private readonly options: RegistrationThrottleOptions) {
    this.clock = options.clock ?? Date.now;
  }

  begin(ip: string): RegistrationAttempt | ThrottleRefusal {
    const now = this.clock();
    let entry = this.entries.get(ip);
    if (entry && entry.inFlight === 0 && now - entry.windowStart >= this.options.windowMs) {
      this.entries.delete(ip);
      entry = undefined;
    }
    if (!entry) {
      entry = { count: 0, inFlight: 0, windowStart: now };
      this.entries.set(ip, entry);
      if (this.entries.size > (this.options.maxEntries ?? 100_000)) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    if (entry.count >= this.options.perIp) {
      return {
        retryAfterSeconds: Math.max(1, Math.ceil((entry.windowStart + this.options.windowMs - now) / 1000)),
      };
    }
    if (entry.inFlight >= (this.options.inFlightPerIp ?? 2)) return { retryAfterSeconds: 1 };
    entry.count += 1;
    entry.inFlight += 1;
    const held = entry;
    let finished = false;
    return {
      finish: () => {
        if (finished) return;
        finished = true;
        held.inFlight -= 1;
      },
    };
  }
}
