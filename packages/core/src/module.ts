// The module contract: what each domain package exports and what the composition root hands it.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/load.js';
import type { SettingGroup } from './config/settings.js';
import type { EventBus } from './events/hub.js';
import type { HttpApp } from './http/server.js';
import type { Lifecycle } from './lifecycle.js';
import type { Metrics } from './metrics.js';
import type { NatsHandle } from './nats/open.js';
import type { StoreDriver } from './store/kv.js';
import type { Singleton } from './store/lease.js';
import type { SecretVault } from './store/secret-vault.js';

/** An open NATS connection with JetStream (see nats/open.ts). */
export type NatsOn = Extract<NatsHandle, { state: 'on' }>;

import type { Migration } from './store/sqlite.js';

export type Role = 'admin' | 'member';

/** Who made a request. A static client token has no user behind it. */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      username: string;
      role: Role;
      via: 'session' | 'api_token';
      /** Set when authenticated by a session (cookie or bearer). */
      sessionId?: string;
      /** Set when authenticated by an API token. */
      tokenId?: string;
      /** True when the credential came from the session cookie (CSRF checks apply). */
      viaCookie: boolean;
    }
  | { kind: 'client'; via: 'client_token'; viaCookie: false };

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Guards other modules put in a route's `preHandler`; accounts implements them. */
export interface AuthGuards {
  /** A signed-in user (session or API token). */
  requireUser: Guard;
  /** A signed-in admin. */
  requireAdmin: Guard;
  /** A user, or a script holding the static client token. */
  requireClient: Guard;
  /** Resolves the principal without failing (null when anonymous); cached per request. */
  authenticate(request: FastifyRequest): Promise<Principal | null>;
  /**
   * What a principal's credential stands for now, read from the store: null once it ended (logged out,
   * revoked, expired, user disabled), otherwise the principal with the user's current role. For
   * connections that outlive their request (event streams).
   */
  recheck(principal: Principal): Promise<Principal | null>;
}

/** What other modules may know about an account (the accounts module implements it). */
export interface DirectoryUser {
  id: string;
  username: string;
  role: Role;
  status: 'active' | 'disabled';
}

/** Why a user's access narrowed: other modules end what they granted (mount credentials, share links). */
export interface AccessChange {
  userId: string;
  reason: 'disabled' | 'deleted' | 'demoted' | 'password_reset';
  /**
   * `password_reset` only: the account's API tokens were kept (`keepApiTokens`), so long-lived keys it
   * registered like them (bus device identities) are kept too.
   */
  keptApiTokens?: boolean;
}

export interface UserDirectory {
  /** By id, or by username ignoring case. */
  find(idOrUsername: string): Promise<DirectoryUser | undefined>;
  /**
   * Calls `listener` after a user's access narrowed (disabled, deleted, demoted, password reset), once the
   * change is stored. Returns the function that unsubscribes. A listener's failure is logged, not thrown.
   */
  onAccessNarrowed(listener: (change: AccessChange) => void | Promise<void>): () => void;
}

/**
 * argon2id hashing for secrets people choose that are not account passwords (a share link's password), on
 * the accounts module's password threads: other modules get it through their context, not by importing
 * accounts.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a malformed stored hash. */
  verify(stored: string, password: string): Promise<boolean>;
}

/** The storage agents' origins the web UI's pages may reach (their CSP); see security-headers.ts. */
export interface PageOrigins {
  /** Replaces the list (deduplicated; anything that is not an http(s) origin is dropped). */
  set(origins: readonly string[]): void;
  readonly current: readonly string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Where pages may connect besides their own origin: the storage agents (set by the NAS module). */
    pageOrigins: PageOrigins;
  }
  interface FastifyRequest {
    /** Set by the auth guards. */
    principal: Principal | null;
    /**
     * The matched route's path as registered (`/api/v1/users/:id`), '' when none matched; read once per
     * request by the server's first hook, because Fastify builds `routeOptions` anew on every access.
     */
    routeUrl: string;
  }
}

export interface ModuleContext {
  config: Config;
  log: Logger;
  /** Where the module keeps its data: SQLite (the embedded default) or JetStream KV (HOMEPORT_STORE=kv). */
  store: StoreDriver;
  /** NATS, when a module that runs requires it or the store is KV (managed server or HOMEPORT_NATS_URL). */
  nats: NatsOn | undefined;
  /** Background jobs that must run once per cluster, not once per replica (leases on KV). */
  singleton: Singleton;
  /** Generated secrets every replica agrees on (files on SQLite, sealed in the store on KV). */
  secrets: SecretVault;
  events: EventBus;
  auth: AuthGuards;
  users: UserDirectory;
  passwords: PasswordHasher;
  metrics: Metrics;
  lifecycle: Lifecycle;
  /** Absolute data folder (database, generated secrets). */
  dataDir: string;
  /** Injected so tests can move time. */
  clock: () => number;
}

/** Something a module needs from the machine; a module whose requirement is not met is off. */
export type Requirement = 'nats' | 'docker';

/** Whether a requirement is met here, and if not, one line saying how to meet it. */
export type RequirementCheck = { met: true } | { met: false; reason: string };

/** What a running module knows once the server listens. */
export interface StartContext extends ModuleContext {
  /** Where this server answers its own requests over loopback (`http://127.0.0.1:<port>`). */
  serverUrl: string;
}

/**
 * A module: a name, its settings and requirements, an async `init` that runs before its routes (open
 * stores, build services), its routes (registered in an encapsulated Fastify plugin under `prefix`),
 * `start` once the server listens, and `stop` on shutdown. The composition root iterates a list of them.
 */
export interface Module<Api = unknown> {
  name: string;
  /** One line for `--modules` help and start-up output. */
  description: string;
  /** Settings the module reads; validated at start together with every other module's. */
  settings?: readonly SettingGroup[];
  /** What the machine must offer; without it the module is off by default (one line says why). */
  requires?: readonly Requirement[];
  migrations: readonly Migration[];
  init?(ctx: ModuleContext): Promise<void>;
  /** URL prefix of its routes (default `/api/v1`). */
  prefix?: string;
  routes?(app: HttpApp, ctx: ModuleContext): void | Promise<void>;
  /** Fields the module adds to `GET /health` (cheap: it is polled). */
  health?(): Record<string, unknown>;
  start?(ctx: StartContext): Promise<void>;
  stop?(): Promise<void>;
  /** Lines for the start-up summary (where its services answer). */
  describe?(): string[];
  /** What the module offers the composition root, the CLI and tests, once initialised. */
  api?(): Api;
}

/** A typed name for a module's `api()`: `homeport.module(NAS)` is a `NasApi`, without casts at call sites. */
export interface ModuleKey<Api> {
  readonly name: string;
  /** Never set: carries the type only. */
  readonly __api?: Api;
}

export const moduleKey = <Api>(name: string): ModuleKey<Api> => ({ name });
