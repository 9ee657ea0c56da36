// The bus repositories on the KV port (HOMEPORT_STORE=kv), with what SQL's transactions and foreign keys
// gave made explicit: the contract is written on each method in repositories.ts, and one suite holds both
// stores to it.
//
// Key layout. Buckets are `bus_<name>`; `<x>` is one key token made from the text x (base64url, or a digest
// past 200 characters: kv-support.ts `part`); `<gen>`, `<membership>` and `<keySet>` are fresh random ids.
// Values are JSON documents; every write of a document that already exists is a compare-and-set at the
// revision read, retried on conflict (withCasRetry), so no concurrent write is lost under it.
//
//   bus_users
//     user.<signPub>                      BusUserRecord     created once (`create`: a second add conflicts)
//     account.<userId>.<signPub>          {}                an account's identities; written before the user
//     gateway.<userId>                    GatewayIdentityRecord, created once
//   bus_rooms
//     room.<roomId>                       RoomDoc           the room (its epoch), `generation`, the key set of
//                                                           the current epoch, the members (each with a
//                                                           `membership` id); `deleting` while removed
//     member.<signPub>.<roomId>           {}                listForMember's index: written before the add
//                                                           commits, removed after the removal does
//     room.<roomId>.<gen>.…               what one generation of the room owns (one listing finds it all):
//       ….key.<membership>.<epoch>.<keySet>   SealedKeyRecord, written before the write that makes it readable
//       ….epoch.<epoch>                       { keySet } of an epoch the room has left, written before the
//                                             rekey that leaves it
//       ….ref.<hash>                          { hash, size, createdAt }, a blob reference
//     blob.<hash>.<roomId>.<gen>          {}                a reference's mirror, for garbage collection by hash
//   bus_nonces (entries age out after NONCE_RETENTION_MS: the bucket's max age)
//     nonce.<signPub>.<nonce>             { expiresAtMs }   `create`: a conflict is a replay, on any replica
//   bus_nats
//     cred.<natsPub>                      NatsCredentialRecord
//     identity.<signPub>.<natsPub>        {}                listLive's index; written before the record
//     expiry.<expiresAtMs>.<natsPub>      { signPub }       the sweep's list; written before the record
//     revocations                         { revocations }   the revocation list, one document
//
// A room's consistency across keys rests on its document, the only thing a rekey, an add or a deletion
// commits with compare-and-set. Everything it points to is written first under names no other write uses —
// a fresh key set per rekey, a fresh membership per add, a fresh generation per creation of an id — so a
// write that loses its compare-and-set (or dies before it) leaves keys nothing names: never read, deleted by
// the writer when it can. A reader who sees a new epoch therefore finds its key, a removed member's keys are
// unreadable from the write that removes it (they belonged to its membership), and a room created again with
// an old id sees nothing of the old room. Deletion marks the document `deleting` first (the room is gone
// from then on) and the next `delete` or `create` of the id finishes one cut short.
//
// Bound: the room document holds every member (about 260 bytes each as JSON) against NATS's 1 MiB per
// value, and is read whole by every room read: rooms are meant for up to a few hundred members (a thousand,
// the ceiling of HOMEPORT_BUS_MAX_MEMBERS, is about 260 KB). Past that, members would need documents of
// their own.
//
// What this relies on from the server: a compare-and-set (and `create`) admits one of two concurrent
// writers (a single server does; a cluster from nats-server 2.9.21, nats-io/nats-server#4320), and a read
// sees every acknowledged write (core's port reads from each stream's leader).

import { isConflict, type KvBucket, type KvStore } from '@homeport/core';
import { kvBlobRefRepository } from './kv-blobs.js';
import { kvNatsCredentialRepository, kvRevocationRepository } from './kv-nats.js';
import { kvRoomRepository } from './kv-rooms.js';
import { part } from './kv-support.js';
import { kvGatewayIdentityRepository, kvUserRepository } from './kv-users.js';
import type { BusStore, NonceRepository } from './repositories.js';
import { lowerKey } from './room-checks.js';

/**
 * How long the nonce bucket keeps a claim: at least twice the 60 s window a signed request is accepted in
 * (a request's `expiresAtMs` must fall within it, or a replay after the bucket forgot would be accepted).
 */
export const NONCE_RETENTION_MS = 5 * 60_000;

function kvNonceRepository(bucket: KvBucket): NonceRepository {
  return {
    async claim(signPub, nonce, expiresAtMs) {
      try {
        // One bucket for every replica: a replay sent to another replica conflicts here too.
        await bucket.create(`nonce.${part(lowerKey(signPub))}.${part(nonce)}`, { expiresAtMs });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    },
    async sweep() {
      return 0; // the bucket's max age forgets them
    },
  };
}

/**
 * The bus store on JetStream KV (or any KvStore): opens its buckets, then builds the repositories.
 *
 * @example
 *   const kv = createJetStreamKv({ kvm: new Kvm(nc), module: 'bus', replicas: 3 });
 *   const store = await createKvBusStore(kv);
 */
export async function createKvBusStore(kv: KvStore): Promise<BusStore> {
  const [users, rooms, nonces, nats] = await Promise.all([
    kv.bucket('users'),
    kv.bucket('rooms'),
    kv.bucket('nonces', { maxAgeMs: NONCE_RETENTION_MS }),
    kv.bucket('nats'),
  ]);
  return {
    users: kvUserRepository(users),
    rooms: kvRoomRepository(rooms),
    nonces: kvNonceRepository(nonces),
    natsCredentials: kvNatsCredentialRepository(nats),
    revocations: kvRevocationRepository(nats),
    blobs: kvBlobRefRepository(rooms),
    gatewayIdentities: kvGatewayIdentityRepository(users),
  };
}
