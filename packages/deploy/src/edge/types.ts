// The TLS-edge driver interface: what sits in front of the built-in proxy and carries the public host names.

/**
 * A TLS edge in front of the built-in proxy. Per-deploy switches never reach it (they stay in the built-in
 * proxy); it is told only about host names being added or removed.
 */
export interface EdgeDriver {
  readonly kind: 'none' | 'caddy' | 'nginx';
  /** Make the edge carry exactly these hosts (idempotent; called at start with every stage's host). */
  sync(hosts: readonly string[]): Promise<void>;
  addHost(host: string): Promise<void>;
  removeHost(host: string): Promise<void>;
  close(): Promise<void>;
}
