// Encrypted attachments: opaque bytes (the SDK encrypts them with the room key before upload), named by the
// SHA-256 of what was stored, kept in a JetStream object store in Homeport's own account. Members read them
// over HTTP only, and only blobs their room references; a blob no room references is deleted by the sweep.

import { createHash } from 'node:crypto';
import { type JetStreamClient, StorageType } from '@nats-io/jetstream';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { BusError } from '../errors.js';
import type { BusStore } from '../store/repositories.js';

export const MAX_BLOB_BYTES = 16 * 1024 * 1024;
const HASH = /^[0-9a-f]{64}$/;

export interface BlobService {
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
): Promise<BlobService> {
  const objects: ObjectStore = await new Objm(js).create('bus_blobs', {
    replicas,
    storage: StorageType.File,
  });
  return {
    async put(roomId, bytes, now) {
      if (bytes.length === 0) throw new BusError('bus_bad_request', 'An empty blob');
      if (bytes.length > MAX_BLOB_BYTES) throw new BusError('bus_too_large', 'A blob is at most 16 MiB');
      const hash = createHash('sha256').update(bytes).digest('hex');
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
