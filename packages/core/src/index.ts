// Public surface of @homeport/core: what apps and domain packages may use.

export { type Static, type TSchema, Type } from 'typebox';
export {
  findWorkerEntry,
  WORKER_STABLE_AFTER_MS,
  type WorkerEntry,
  workerEnvironment,
  workerRestartDelayMs,
  writeWorkerLogLine,
} from './cluster/worker-support.js';
export type { BaseModule, BaseModuleContext, BaseModuleFactory } from './compose/base-module.js';
export { type ComposeOptions, type Composition, composeModules } from './compose/compose.js';
export { type ModuleOff, type RequirementProbes, selectModules } from './compose/module-selection.js';
export { coreSettings } from './config/core-settings.js';
export { formatDuration, parseDuration } from './config/duration.js';
export {
  Config,
  ConfigError,
  type ConfigSource,
  type ConfigSourcesOptions,
  describeSettings,
} from './config/load.js';
export {
  boolSetting,
  defineSettings,
  durationSetting,
  enumSetting,
  intSetting,
  listSetting,
  type Setting,
  type SettingGroup,
  SettingProblem,
  type SettingValues,
  stringSetting,
  urlSetting,
} from './config/settings.js';
export { dockerRequirement, dockerSettings } from './docker/settings.js';
export {
  CoreError,
  type CoreErrorCode,
  type ErrorKind,
  errorClass,
  HomeportError,
  type HomeportErrorOptions,
} from './errors.js';
export type { EventBus, EventEnvelope, EventListener, TopicDefinition } from './events/hub.js';
export { createEventHub, type EventHubOptions } from './events/in-process-hub.js';
export { createNatsEventHub, type NatsEventHub, type NatsEventHubOptions } from './events/nats-hub.js';
export { publishOrLog } from './events/publish-or-log.js';
export { type EventStreams, registerEventRoutes } from './events/routes.js';
export { createSseRegistry, type SseRegistry, type SseStream } from './events/sse.js';
export { assertSafeBind, isLoopbackAddress } from './http/bind-guard.js';
export {
  addressGroup,
  type ConnectionGuard,
  type ConnectionGuardOptions,
  type ConnectionLimits,
  connectionLimitsFor,
  defaultConnectionLimits,
  guardConnections,
  openFileLimit,
} from './http/connection-guard.js';
export { mapError } from './http/error-mapper.js';
export { isTrustedBrowserOrigin, selfOrigin } from './http/origin.js';
export { Nullable } from './http/schemas.js';
export { createHttpServer, type HttpApp, type HttpServerOptions, requestPath } from './http/server.js';
export type { TrustProxy } from './http/trust-proxy.js';
export { createLifecycle, type Lifecycle } from './lifecycle.js';
export { createLogger, flushLogger, type Logger, REDACTED_PATHS } from './logger.js';
export { createMetrics, type Metrics } from './metrics.js';
export {
  type AccessChange,
  type AuthGuards,
  type DirectoryUser,
  type Guard,
  type Module,
  type ModuleContext,
  type ModuleKey,
  moduleKey,
  type NatsOn,
  type PageOrigins,
  type PasswordHasher,
  type Principal,
  type Requirement,
  type RequirementCheck,
  type Role,
  type StartContext,
  type UserDirectory,
} from './module.js';
export { findNatsServer, type NatsServerLookup } from './nats/binary.js';
export { type ConnectNatsOptions, connectNats, NATS_REQUEST_TIMEOUT_MS } from './nats/client.js';
export { NatsError, type NatsErrorCode } from './nats/errors.js';
export { NATS_ACCOUNTS, type NatsAccountName } from './nats/layout.js';
export { type ManagedNats, type ManagedNatsOptions, startManagedNats } from './nats/managed.js';
export type { MemberEndpoint, MemberListenerOptions } from './nats/member-listener.js';
export { natsMemberListenerSettings } from './nats/member-listener-settings.js';
export type { NatsTlsTrust } from './nats/member-tls.js';
export {
  type NatsAccounts,
  type NatsHandle,
  natsPlan,
  type OpenNatsOptions,
  openNats,
} from './nats/open.js';
export {
  assertNatsConfig,
  type NatsSettingValues,
  natsConfigProblems,
  natsSettings,
} from './nats/settings.js';
export {
  type AccountSigner,
  type IssuedNatsUser,
  type IssuedNatsUserJwt,
  issueNatsUser,
  type NatsUserGrant,
  type NatsUserGrantForKey,
  type NatsUserGrantWithSeed,
  type SubjectPermission,
} from './nats/users.js';
export {
  fromKeyToken,
  isConflict,
  type KvBucket,
  type KvBucketOptions,
  type KvEntry,
  type KvStore,
  keyToken,
  type StoreDriver,
  StoreError,
  withCasRetry,
} from './store/kv.js';
export {
  compareText,
  deleteKvKeys,
  freshKvId,
  keyTokens,
  kvKeyPart,
  lastKeyToken,
  mapBounded,
  readKvDoc,
  sha256Token,
} from './store/kv-docs.js';
export {
  type BucketEntry,
  type BucketInfo,
  listBuckets,
  purgeBucket,
  readBucket,
  writeBucket,
} from './store/kv-dump.js';
export {
  checkKvFormat,
  KV_FORMAT,
  KV_FORMAT_BUCKET,
  KV_FORMAT_KEY,
  type KvFormatRecord,
} from './store/kv-format.js';
export {
  clusteredKvProblem,
  createJetStreamKv,
  type JetStreamKvOptions,
  KV_CALL_TIMEOUT_MS,
  MIN_CLUSTERED_KV_SERVER,
} from './store/kv-jetstream.js';
export {
  acquireLease,
  kvSingleton,
  type LeaseGrant,
  type LeaseRecord,
  localSingleton,
  type Singleton,
} from './store/lease.js';
export {
  livePresence,
  PRESENCE_BUCKET,
  PRESENCE_RENEW_MS,
  PRESENCE_TTL_MS,
  type PresenceRecord,
  startPresence,
} from './store/presence.js';
export {
  QUORUM_BEAT_MS,
  QUORUM_WINDOW_MS,
  type QuorumWatch,
  type QuorumWatchOptions,
  watchQuorum,
} from './store/quorum.js';
export { persistedSecret } from './store/secret-files.js';
export { fileVault, kvVault, type Sealed, type SecretVault, seal, unseal } from './store/secret-vault.js';
export { pickFields, type SnapshotKind, sameJson } from './store/snapshot.js';
export {
  applyMigrations,
  exposedDirMode,
  type Migration,
  openDatabase,
  type SqliteDatabase,
} from './store/sqlite.js';
