// Encrypted attachments: opaque bytes (the SDK encrypts them with the room key before upload), named by the
// SHA-256 of what was stored, kept in a JetStream object store in Homeport's own account. Members read them
// over HTTP only, and only blobs their room references; a blob no room references is deleted by the sweep.
// A blob stays while its room does, so each room has a quota (bytes and count) that any member's uploads
// count against.

import { createHash } from 'node:crypto';
import { type JetStreamClient, StorageType } from '@nats-io/jetstream';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { BusError } from '../errors.js';
import type { BusStore } from '../store/repositories.js';

export const MAX_BLOB_BYTES = 16 * 1024 * 1024;
const HASH = /^[0-9a-f]{64}$/;

/** What one room's blobs may add up to. */
export interface BlobQuota {
  maxBytesPerRoom: number;
  maxBlobsPerRoom: number;
}

export interface BlobService {
  /**
   * Refuses (`bus_quota`) an upload of `declaredBytes` the room has no room for: called from the declared
   * length before the body is read, where the route can. `put` checks again with the real bytes.
   */
  admit(roomId: string, declaredBytes: number): Promise<void>;
  /** Stores the bytes for a room; returns their hash. Idempotent for the same bytes. */
  put(roomId: string, bytes: Buffer, now: string): Promise<{ hash: string; size: number }>;
  /** The bytes of a blob the room references, or a 404. */
  get(roomId: string, hash: string): Promise<Uint8Array>;
  /** Deletes blobs no room references; returns how many. */
  sweep(): Promise<number>;
}

export async function openBlobService(
  js: JetStreamClient,
  store: BusStore,
  replicas: number,
  quota: BlobQuota,
): Promise<BlobService> {
  /**
   * Concurrent uploads to one room each see the usage before the others are recorded: a burst can pass the
   * quota by what is in flight (each upload at most 16 MiB, and the routes cap requests), not grow without end.
   */
  const admit = async (roomId: string, bytes: number) => {
    const usage = await store.blobs.usage(roomId);
    if (usage.count + 1 > quota.maxBlobsPerRoom)
      throw new BusError(
        'bus_quota',
        `This room holds its limit of ${quota.maxBlobsPerRoom} attachments; delete the room or ask an admin`,
      );
    if (usage.bytes + bytes > quota.maxBytesPerRoom)
      throw new BusError(
        'bus_quota',
        `This room's attachments would pass its limit of ${quota.maxBytesPerRoom} bytes (${usage.bytes} used)`,
      );
  };
  const objects: ObjectStore = await new Objm(js).create('bus_blobs', {
    replicas,
    storage: StorageType.File,
  });
  return {
    admit,
    async put(roomId, bytes, now) {
      if (bytes.length === 0) throw new BusError('bus_bad_request', 'An empty blob');
      if (bytes.length > MAX_BLOB_BYTES) throw new BusError('bus_too_large', 'A blob is at most 16 MiB');
      const hash = createHash('sha256').update(bytes).digest('hex');
      // The same bytes again add nothing: only a new reference counts against the quota.
      if (!(await store.blobs.has(roomId, hash))) await admit(roomId, bytes.length);
      // The reference first: the sweep deletes only what nothing references, so an upload in flight is safe.
      await store.blobs.add(roomId, hash, bytes.length, now);
      if ((await objects.info(hash)) === null) await objects.putBlob({ name: hash }, new Uint8Array(bytes));
      return { hash, size: bytes.length };
    },
    async get(roomId, hash) {
      if (!HASH.test(hash)) throw new BusError('bus_bad_request', 'A blob is named by 64 lower-case hex');
      if (!(await store.blobs.has(roomId, hash)))
        throw new BusError('bus_not_found', 'No such blob in this room');
      const bytes = await objects.getBlob(hash);
      if (bytes === null) throw new BusError('bus_not_found', 'No such blob in this room');
      return bytes;
    },
    async sweep() {
      const names = (await objects.list()).filter((info) => !info.deleted).map((info) => info.name);
      const orphans = await store.blobs.unreferenced(names);
      for (const name of orphans) await objects.delete(name);
      return orphans.length;
    },
  };
}
