// Repository interfaces of the bus control plane and the behaviour both stores guarantee (SQLite in
// sqlite-store.ts, JetStream KV in kv-store.ts), written on each method and held by one contract suite.
//
// Keys are identities' Ed25519 signing keys as 64 lower-case hex characters (`signPub`); every method
// lower-cases what it is given, so a caller passing upper-case hex still matches. Times are ISO 8601
// strings (UTC) unless a name says `Ms` (epoch milliseconds).

import { errorClass } from '@homeport/core';

const KINDS = {
  /** The identity is on the allowlist already (active or revoked): nothing was changed. */
  bus_user_exists: 'conflict',
  /** A room with this id exists already. */
  bus_room_exists: 'conflict',
  /** The identity is a member of the room already. */
  bus_member_exists: 'conflict',
  /** The room is no longer at the epoch the caller read: re-read and decide again. */
  bus_epoch_conflict: 'conflict',
  /** The room (or member) named does not exist. */
  bus_not_found: 'not_found',
  /** A gateway identity for this account exists already. */
  bus_gateway_exists: 'conflict',
  /** The NATS user key has a live credential of another identity. */
  bus_credential_taken: 'conflict',
} as const;

export class BusStoreError extends errorClass(KINDS) {}

export type BusRole = 'admin' | 'member';
export type BusUserStatus = 'active' | 'revoked';

/** One identity on the allowlist. Revoking flips `status`; nothing is ever deleted. */
export interface BusUserRecord {
  signPub: string;
  /** X25519 public key, 64 lower-case hex. */
  kexPub: string;
  handle: string;
  role: BusRole;
  status: BusUserStatus;
  /** The Homeport account that owns this identity (one account, several devices); null when seeded on the host. */
  userId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface BusUserInput {
  signPub: string;
  kexPub: string;
  handle: string;
  role: BusRole;
  userId: string | null;
}

export interface BusUserRepository {
  /** Adds an active identity; `bus_user_exists` when the key is there in any status (the row is untouched). */
  add(input: BusUserInput, now: string): Promise<BusUserRecord>;
  get(signPub: string): Promise<BusUserRecord | undefined>;
  /** Every identity, revoked included, oldest first (ties by signPub). */
  list(): Promise<BusUserRecord[]>;
  /** The identities an account owns, oldest first. */
  listByAccount(userId: string): Promise<BusUserRecord[]>;
  /** Flips an active identity to revoked; undefined (and nothing written) when unknown or already revoked. */
  revoke(signPub: string, now: string): Promise<BusUserRecord | undefined>;
  /** Whether any active admin exists. */
  hasActiveAdmin(): Promise<boolean>;
}

export interface RoomPolicy {
  /** Payloads sealed with the room key (AEAD). */
  encrypted: boolean;
  /** Messages kept in a JetStream stream (history for late joiners); otherwise core NATS only. */
  persisted: boolean;
  /** Frames signed by their sender's Ed25519 key. */
  signed: boolean;
}

/** When a member's SDK starts a new epoch on its own; null means never for that leg. */
export interface RotationPolicy {
  maxAgeMs: number | null;
  maxMessages: number | null;
}

/** Whether a member added later is given the keys of epochs before they joined. */
export type HistoryVisibility = 'shared' | 'joined';

/** `chat`: people. `agent`: unibus's worker pattern (`agent.<name>.in/out`, request/reply). */
export type RoomKind = 'chat' | 'agent';

/** Limits of a persisted room's stream. */
export interface RoomRetention {
  maxMessages: number;
  maxBytes: number;
  maxAgeMs: number;
}

export interface RoomRecord {
  /** Lower-case letters and digits only: one NATS subject token. */
  id: string;
  /** Display name (any text up to 100 characters). */
  name: string;
  kind: RoomKind;
  /** Assigned by the server: `bus.room.<id>`. */
  subject: string;
  policy: RoomPolicy;
  rotation: RotationPolicy;
  history: HistoryVisibility;
  retention: RoomRetention;
  /** The identity that created the room. */
  ownerSignPub: string;
  /** Current key epoch, 1 at creation, +1 at every rekey. */
  epoch: number;
  epochStartedAt: string;
  createdAt: string;
}

export type MemberRole = 'owner' | 'member';

export interface MemberRecord {
  roomId: string;
  signPub: string;
  role: MemberRole;
  /** The epoch current when the member was added. */
  joinedEpoch: number;
  addedAt: string;
  /** Who added them (their own key for the owner). */
  addedBy: string;
}

/** A room key sealed (HPKE) to one member's X25519 key for one epoch; opaque to the server. */
export interface SealedKeyRecord {
  roomId: string;
  epoch: number;
  signPub: string;
  /** base64url of the HPKE `enc` followed by the ciphertext. */
  sealed: string;
  /** The member whose SDK sealed it. */
  sealedBy: string;
  createdAt: string;
}

export interface SealedKeyInput {
  epoch: number;
  signPub: string;
  sealed: string;
  sealedBy: string;
}

export interface RoomRepository {
  /**
   * Creates the room at epoch 1 with its owner as a member and the owner's sealed key(s), all or nothing;
   * `bus_room_exists` when the id is taken.
   */
  create(room: RoomRecord, ownerKeys: readonly SealedKeyInput[]): Promise<void>;
  get(roomId: string): Promise<RoomRecord | undefined>;
  /** Rooms the identity is a member of, with its role there, by room creation (oldest first, ties by id). */
  listForMember(signPub: string): Promise<{ room: RoomRecord; role: MemberRole }[]>;
  /**
   * Adds a member with the sealed keys it may read (the current epoch, and earlier ones for shared history),
   * all or nothing. `bus_not_found` when the room is gone, `bus_member_exists` when already a member,
   * `bus_epoch_conflict` when the room is no longer at `expectedEpoch` (keys sealed for an old epoch).
   */
  addMember(member: MemberRecord, keys: readonly SealedKeyInput[], expectedEpoch: number): Promise<void>;
  getMember(roomId: string, signPub: string): Promise<MemberRecord | undefined>;
  /** Members by `addedAt` (ties by signPub). */
  listMembers(roomId: string): Promise<MemberRecord[]>;
  /**
   * Starts epoch `expectedEpoch + 1` with one sealed key per remaining member, optionally removing one member
   * in the same step (removal and rekey are one write: the removed member never sees the new key). The
   * keys (none for a room without encryption) must name exactly the remaining members: the store checks it
   * in the same write, since a member added between the caller's read and the rekey would otherwise be left
   * without the new key, which no check by the caller can see. `bus_epoch_conflict` when the room moved on
   * or its members changed,
   * `bus_not_found` when the room (or the member to remove) is gone. Returns the updated room.
   */
  rekey(
    roomId: string,
    expectedEpoch: number,
    keys: readonly SealedKeyInput[],
    options: { remove?: string; now: string },
  ): Promise<RoomRecord>;
  /** The sealed key of one member for one epoch. */
  getKey(roomId: string, signPub: string, epoch: number): Promise<SealedKeyRecord | undefined>;
  /** The epochs a member holds keys for, ascending. */
  keyEpochs(roomId: string, signPub: string): Promise<number[]>;
  /** Removes a room with its members, keys and blob references; false when it was not there. */
  delete(roomId: string): Promise<boolean>;
}

export interface NonceRepository {
  /**
   * Records a request nonce of a signer until `expiresAtMs`; false when that signer used it already (a
   * replay), on this replica or any other. Expired nonces may be forgotten.
   */
  claim(signPub: string, nonce: string, expiresAtMs: number): Promise<boolean>;
  /** Forgets nonces expired at `nowMs` (SQLite); a no-op where the store ages them out itself. */
  sweep(nowMs: number): Promise<number>;
}

/** A NATS user issued to an identity for the data plane (a short-lived JWT). */
export interface NatsCredentialRecord {
  /** The NATS user's public nkey (`U…`), what a revocation names. */
  natsPub: string;
  signPub: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

export interface NatsCredentialRepository {
  /**
   * Records a credential; recording it again for the same identity (a retry) replaces it. Refused with
   * `bus_credential_taken` while another identity's credential for the same NATS key is live: revocations
   * find a key through the identity it is recorded for, so moving it would keep it out of the next one.
   */
  record(credential: NatsCredentialRecord): Promise<void>;
  /** The identity's credentials not yet expired at `nowMs`. */
  listLive(signPub: string, nowMs: number): Promise<NatsCredentialRecord[]>;
  /** Forgets credentials expired at `nowMs`; returns how many. */
  sweep(nowMs: number): Promise<number>;
}

/**
 * The BUS account's revocation list: NATS user key → Unix seconds (JWTs of that key issued up to then are
 * refused). One document, written with compare-and-set so two replicas never lose each other's entries.
 */
export interface RevocationRepository {
  get(): Promise<{ revocations: Record<string, number>; revision: number }>;
  /**
   * Adds entries and drops those whose `until` is before `pruneBeforeSec` (their JWTs have expired anyway);
   * retried on conflict. Returns the list as written.
   */
  add(entries: Record<string, number>, pruneBeforeSec: number): Promise<Record<string, number>>;
}

/** Which rooms reference an encrypted blob (content-addressed by the SHA-256 of its ciphertext). */
export interface BlobRefRepository {
  /** Idempotent; `bus_not_found` when the room does not exist (a reference never outlives its room). */
  add(roomId: string, hash: string, size: number, now: string): Promise<void>;
  has(roomId: string, hash: string): Promise<boolean>;
  /** What the room references: how many blobs and their bytes in all (0 and 0 for a room that is gone). */
  usage(roomId: string): Promise<{ count: number; bytes: number }>;
  /** Hashes no room references any more (after room deletions), for garbage collection. */
  unreferenced(known: readonly string[]): Promise<string[]>;
}

/** An identity the server holds for an account (the gateway): its private keys sealed under the secret key. */
export interface GatewayIdentityRecord {
  userId: string;
  signPub: string;
  kexPub: string;
  /** base64url AEAD ciphertext of the private keys; opened only with HOMEPORT_SECRET_KEY. */
  sealedPrivate: string;
  createdAt: string;
}

export interface GatewayIdentityRepository {
  get(userId: string): Promise<GatewayIdentityRecord | undefined>;
  /** `bus_gateway_exists` when the account has one already. */
  create(record: GatewayIdentityRecord): Promise<void>;
}

export interface BusStore {
  users: BusUserRepository;
  rooms: RoomRepository;
  nonces: NonceRepository;
  natsCredentials: NatsCredentialRepository;
  revocations: RevocationRepository;
  blobs: BlobRefRepository;
  gatewayIdentities: GatewayIdentityRepository;
}
