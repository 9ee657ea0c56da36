// A short-lived, bounded cache of resolved credentials (session or API token → record and user), so an
// authenticated request does not cost two SQLite reads and a SHA-256. This process's own changes drop the
// affected entries at once; changes made by another process (the `homeport user` CLI on the same
// database) are seen within the time-to-live.

export interface CachedCredential<R> {
  record: R;
  user: { id: string };
}

export class AuthCache<R extends { id: string }> {
  private readonly entries = new Map<string, { value: CachedCredential<R>; at: number }>();

  constructor(
    private readonly ttlMs = 1000,
    private readonly limit = 10_000,
  ) {}

  get(token: string, now: number): CachedCredential<R> | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (now - hit.at > this.ttlMs) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.value;
  }

  set(token: string, value: CachedCredential<R>, now: number): void {
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { value, at: now });
  }

  /** Drops entries of one record (a session ended, a token revoked). */
  dropRecord(id: string): void {
    for (const [token, { value }] of this.entries) if (value.record.id === id) this.entries.delete(token);
  }

  /** Drops entries of one user (disabled, role or password changed). */
  dropUser(userId: string): void {
    for (const [token, { value }] of this.entries) if (value.user.id === userId) this.entries.delete(token);
  }
}
