// The bus store's surface: the repositories' contract (repositories.ts) and its two implementations.

export { createKvBusStore, NONCE_RETENTION_MS } from './kv-store.js';
export { busMigrations } from './migrations.js';
export {
  type BlobRefRepository,
  type BusRole,
  type BusStore,
  BusStoreError,
  type BusUserInput,
  type BusUserRecord,
  type BusUserRepository,
  type BusUserStatus,
  type GatewayIdentityRecord,
  type GatewayIdentityRepository,
  type HistoryVisibility,
  type MemberRecord,
  type MemberRole,
  type NatsCredentialRecord,
  type NatsCredentialRepository,
  type NonceRepository,
  type RevocationRepository,
  type RoomKind,
  type RoomPolicy,
  type RoomRecord,
  type RoomRepository,
  type RoomRetention,
  type RotationPolicy,
  type SealedKeyInput,
  type SealedKeyRecord,
} from './repositories.js';
export { createSqliteBusStore } from './sqlite-store.js';
