// The room repository on SQLite: every write that touches more than one row is one IMMEDIATE transaction
// (so a second process on the file waits instead of interleaving), and a rekey moves the epoch with a
// compare-and-set in SQL (`UPDATE … WHERE epoch = ?`).

import type { SqliteDatabase } from '@homeport/core';
import type {
  HistoryVisibility,
  MemberRecord,
  MemberRole,
  RoomKind,
  RoomRecord,
  RoomRepository,
  SealedKeyInput,
  SealedKeyRecord,
} from './repositories.js';
import {
  checkCreate,
  checkMemberKeys,
  checkRekeyKeys,
  epochMoved,
  lowerKey,
  memberExists,
  memberMissing,
  normalizeKeys,
  normalizeMember,
  normalizeRoom,
  ownerMember,
  requireCoverage,
  roomExists,
  roomMissing,
} from './room-checks.js';
import { isSqliteUniqueViolation } from './sqlite-errors.js';

interface RoomRow {
  id: string;
  name: string;
  kind: RoomKind;
  subject: string;
  encrypted: number;
  persisted: number;
  signed: number;
  rotation_max_age_ms: number | null;
  rotation_max_messages: number | null;
  history: HistoryVisibility;
  retention_max_messages: number;
  retention_max_bytes: number;
  retention_max_age_ms: number;
  owner_sign_pub: string;
  epoch: number;
  epoch_started_at: string;
  created_at: string;
}

interface MemberRow {
  room_id: string;
  sign_pub: string;
  role: MemberRole;
  joined_epoch: number;
  added_at: string;
  added_by: string;
}

interface KeyRow {
  room_id: string;
  sign_pub: string;
  epoch: number;
  sealed: string;
  sealed_by: string;
  created_at: string;
}

const toRoom = (row: RoomRow): RoomRecord => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  subject: row.subject,
  policy: { encrypted: row.encrypted === 1, persisted: row.persisted === 1, signed: row.signed === 1 },
  rotation: { maxAgeMs: row.rotation_max_age_ms, maxMessages: row.rotation_max_messages },
  history: row.history,
  retention: {
    maxMessages: row.retention_max_messages,
    maxBytes: row.retention_max_bytes,
    maxAgeMs: row.retention_max_age_ms,
  },
  ownerSignPub: row.owner_sign_pub,
  epoch: row.epoch,
  epochStartedAt: row.epoch_started_at,
  createdAt: row.created_at,
});

const toMember = (row: MemberRow): MemberRecord => ({
  roomId: row.room_id,
  signPub: row.sign_pub,
  role: row.role,
  joinedEpoch: row.joined_epoch,
  addedAt: row.added_at,
  addedBy: row.added_by,
});

const toKey = (row: KeyRow): SealedKeyRecord => ({
  roomId: row.room_id,
  epoch: row.epoch,
  signPub: row.sign_pub,
  sealed: row.sealed,
  sealedBy: row.sealed_by,
  createdAt: row.created_at,
});

const roomParams = (room: RoomRecord) => ({
  id: room.id,
  name: room.name,
  kind: room.kind,
  subject: room.subject,
  encrypted: room.policy.encrypted ? 1 : 0,
  persisted: room.policy.persisted ? 1 : 0,
  signed: room.policy.signed ? 1 : 0,
  rotationMaxAgeMs: room.rotation.maxAgeMs,
  rotationMaxMessages: room.rotation.maxMessages,
  history: room.history,
  retentionMaxMessages: room.retention.maxMessages,
  retentionMaxBytes: room.retention.maxBytes,
  retentionMaxAgeMs: room.retention.maxAgeMs,
  ownerSignPub: room.ownerSignPub,
  epoch: room.epoch,
  epochStartedAt: room.epochStartedAt,
  createdAt: room.createdAt,
});

export function sqliteRoomRepository(db: SqliteDatabase): RoomRepository {
  const insertRoom = db.prepare(`
    INSERT INTO bus_rooms (id, name, kind, subject, encrypted, persisted, signed, rotation_max_age_ms,
                           rotation_max_messages, history, retention_max_messages, retention_max_bytes,
                           retention_max_age_ms, owner_sign_pub, epoch, epoch_started_at, created_at)
    VALUES (@id, @name, @kind, @subject, @encrypted, @persisted, @signed, @rotationMaxAgeMs,
            @rotationMaxMessages, @history, @retentionMaxMessages, @retentionMaxBytes, @retentionMaxAgeMs,
            @ownerSignPub, @epoch, @epochStartedAt, @createdAt)`);
  const roomById = db.prepare<[string], RoomRow>('SELECT * FROM bus_rooms WHERE id = ?');
  const forMember = db.prepare<[string], RoomRow & { member_role: MemberRole }>(`
    SELECT r.*, m.role AS member_role FROM bus_members m JOIN bus_rooms r ON r.id = m.room_id
    WHERE m.sign_pub = ? ORDER BY r.created_at, r.id`);
  const insertMember = db.prepare(`
    INSERT INTO bus_members (room_id, sign_pub, role, joined_epoch, added_at, added_by)
    VALUES (@roomId, @signPub, @role, @joinedEpoch, @addedAt, @addedBy)`);
  const memberOf = db.prepare<[string, string], MemberRow>(
    'SELECT * FROM bus_members WHERE room_id = ? AND sign_pub = ?',
  );
  const members = db.prepare<[string], MemberRow>(
    'SELECT * FROM bus_members WHERE room_id = ? ORDER BY added_at, sign_pub',
  );
  const memberKeys = db
    .prepare<[string], string>('SELECT sign_pub FROM bus_members WHERE room_id = ?')
    .pluck();
  const removeMember = db.prepare('DELETE FROM bus_members WHERE room_id = ? AND sign_pub = ?');
  // A member added again after a removal may be given a key it was given before (shared history).
  const putKey = db.prepare(`
    INSERT INTO bus_room_keys (room_id, sign_pub, epoch, sealed, sealed_by, created_at)
    VALUES (@roomId, @signPub, @epoch, @sealed, @sealedBy, @createdAt)
    ON CONFLICT (room_id, sign_pub, epoch) DO UPDATE SET
      sealed = excluded.sealed, sealed_by = excluded.sealed_by, created_at = excluded.created_at`);
  const keyOf = db.prepare<[string, string, number], KeyRow>(
    'SELECT * FROM bus_room_keys WHERE room_id = ? AND sign_pub = ? AND epoch = ?',
  );
  const epochsOf = db
    .prepare<[string, string], number>(
      'SELECT epoch FROM bus_room_keys WHERE room_id = ? AND sign_pub = ? ORDER BY epoch',
    )
    .pluck();
  const bumpEpoch = db.prepare(
    'UPDATE bus_rooms SET epoch = epoch + 1, epoch_started_at = ? WHERE id = ? AND epoch = ?',
  );
  const removeRoom = db.prepare('DELETE FROM bus_rooms WHERE id = ?');

  const writeKeys = (roomId: string, keys: readonly SealedKeyInput[], createdAt: string) => {
    for (const key of keys) putKey.run({ ...key, roomId, createdAt });
  };

  const create = db.transaction((room: RoomRecord, keys: readonly SealedKeyInput[]) => {
    insertRoom.run(roomParams(room));
    insertMember.run(ownerMember(room));
    writeKeys(room.id, keys, room.createdAt);
  });

  const addMember = db.transaction(
    (member: MemberRecord, keys: readonly SealedKeyInput[], expectedEpoch: number) => {
      const room = roomById.get(member.roomId);
      if (!room) throw roomMissing(member.roomId);
      if (memberOf.get(member.roomId, member.signPub)) throw memberExists(member.roomId, member.signPub);
      if (room.epoch !== expectedEpoch) throw epochMoved(member.roomId, expectedEpoch, room.epoch);
      insertMember.run(member);
      writeKeys(member.roomId, keys, member.addedAt);
    },
  );

  const rekey = db.transaction(
    (
      roomId: string,
      expectedEpoch: number,
      keys: readonly SealedKeyInput[],
      remove: string | undefined,
      now: string,
    ) => {
      // The compare-and-set: only a room still at the epoch the caller read moves on.
      if (bumpEpoch.run(now, roomId, expectedEpoch).changes === 0) {
        const room = roomById.get(roomId);
        if (!room) throw roomMissing(roomId);
        throw epochMoved(roomId, expectedEpoch, room.epoch);
      }
      // Its keys go with it (foreign key cascade): a removed member keeps nothing.
      if (remove !== undefined && removeMember.run(roomId, remove).changes === 0)
        throw memberMissing(roomId, remove);
      requireCoverage(roomId, memberKeys.all(roomId), keys);
      writeKeys(roomId, keys, now);
      return toRoom(roomById.get(roomId) as RoomRow); // updated above, inside this transaction
    },
  );

  return {
    async create(room, ownerKeys) {
      const record = normalizeRoom(room);
      const keys = normalizeKeys(ownerKeys);
      checkCreate(record, keys);
      try {
        create.immediate(record, keys);
      } catch (error) {
        if (isSqliteUniqueViolation(error) && roomById.get(record.id)) throw roomExists(record.id);
        throw error;
      }
    },
    async get(roomId) {
      const row = roomById.get(roomId);
      return row && toRoom(row);
    },
    async listForMember(signPub) {
      return forMember
        .all(lowerKey(signPub))
        .map(({ member_role, ...row }) => ({ room: toRoom(row), role: member_role }));
    },
    async addMember(member, keys, expectedEpoch) {
      const record = normalizeMember(member);
      const normalized = normalizeKeys(keys);
      checkMemberKeys(record, normalized, expectedEpoch);
      addMember.immediate(record, normalized, expectedEpoch);
    },
    async getMember(roomId, signPub) {
      const row = memberOf.get(roomId, lowerKey(signPub));
      return row && toMember(row);
    },
    async listMembers(roomId) {
      return members.all(roomId).map(toMember);
    },
    async rekey(roomId, expectedEpoch, keys, options) {
      const normalized = normalizeKeys(keys);
      checkRekeyKeys(roomId, expectedEpoch, normalized);
      const remove = options.remove === undefined ? undefined : lowerKey(options.remove);
      return rekey.immediate(roomId, expectedEpoch, normalized, remove, options.now);
    },
    async getKey(roomId, signPub, epoch) {
      const row = keyOf.get(roomId, lowerKey(signPub), epoch);
      return row && toKey(row);
    },
    async keyEpochs(roomId, signPub) {
      return epochsOf.all(roomId, lowerKey(signPub));
    },
    async delete(roomId) {
      // Members, their keys and the blob references go by cascade, in the same statement.
      return removeRoom.run(roomId).changes > 0;
    },
  };
}
