// The NAS repositories on the KV port (HOMEPORT_STORE=kv), with the behaviour SQL gave for free made
// explicit: the contract is written on each method in repositories.ts, and one suite holds both stores to it.
//
// Key layout. Buckets are `nas_<name>`; `<x>` is one key token made from the text x (base64url, or a
// digest past 200 characters: kv-support.ts `part`), so any id — even one with `.` or `*` — is one token.
// Values are JSON documents; every write of a document that already exists is a compare-and-set at the
// revision read, retried on conflict (withCasRetry), so no concurrent write is lost under it.
//
//   nas_nodes
//     node.<nodeId>                    NodeRecord
//     machine.<machineId>              { nodeId }        machine ids unique: claimed with `create` before the
//                                                        node is written, confirmed after (kv-nodes.ts)
//     inventory.<nodeId>               Inventory         the node's exports: id, SHA-256 of the path, mount
//                                                        path, createdAt; a generation; removed exports still
//                                                        to clean up; closed while the node is removed
//   nas_exports
//     export.<exportId>                ExportDoc         the other fields, stamped with the generation
//   nas_grants
//     grant.<exportId>.<userId>        GrantRecord       one per (export, user); an export's by prefix
//     user.<userId>.<exportId>         {}                a user's grants by prefix
//   nas_credentials
//     cred.<username>                  CredentialRecord (+ announcedBy: the revocation version announcing it)
//     node.<nodeId>.<username>         ExpiryDoc         narrowing by node, user (`-`: the client token's),
//     user.<userId|->.<username>       ExpiryDoc         export; written before the record, so revocation
//     export.<exportId>.<username>     ExpiryDoc         always finds what is stored
//     share.<shareId>.<username>       ExpiryDoc         a share link's credentials (instead of a user key)
//     expiry.<expiresAt>.<username>    ExpiryDoc         the sweep's list (whole seconds in the key)
//     revocations                      number            the revocation counter
//   nas_shares
//     share.<shareId>                  ShareRecord
//     creator.<userId>.<shareId>       {}                a creator's links by prefix; written before the record
//   nas_attempts                                         (keys forgotten an hour after their last write)
//     attempt.<key>                    AttemptWindow     failed share-link passwords per link and per address
//   nas_settings
//     setting.<key>                    string
//   nas_managed
//     node.<nodeId>                    ManagedExportsDoc the node's roots and exports added from the UI
//
// Uniqueness per node of an export's path and mount path is held by the inventory document, which a sync
// replaces in one compare-and-set: two exports may trade mount paths, and of two concurrent syncs one
// commits first and the other retries on top of it. The inventory stays small (about 100 bytes plus the
// mount path per export, against NATS's 1 MiB per value) because paths, up to 4 KiB, go in as digests.
//
// What this relies on from the server: a compare-and-set admits one of two concurrent writers (a single
// server does; a cluster from nats-server 2.9.21, nats-io/nats-server#4320 — the cluster tests measure it),
// and a read sees every acknowledged write (reads served by the stream's leader; the client's default
// direct gets may be answered by a replica that is behind).

import { fromKeyToken, type KvBucket, type KvStore } from '@homeport/core';
import { kvCredentialRepository } from './kv-credentials.js';
import { kvExportRepository } from './kv-exports.js';
import { deleteGrantsOf, kvGrantRepository } from './kv-grants.js';
import { createInventories } from './kv-inventory.js';
import { kvManagedExportRepository } from './kv-managed-exports.js';
import { kvNodeRepository } from './kv-nodes.js';
import { kvAttemptRepository, kvShareRepository } from './kv-shares.js';
import { compareText, lastToken, mapBounded, part } from './kv-support.js';
import { ATTEMPT_WINDOW_MAX_MS, type NasStore, type SettingRepository } from './repositories.js';

function kvSettingRepository(bucket: KvBucket): SettingRepository {
  const key = (name: string) => `setting.${part(name)}`;
  /** The setting a key holds; a name too long for its token is stored under a digest and cannot be told. */
  const nameOf = (settingKey: string) => {
    const token = lastToken(settingKey);
    if (token.startsWith('=') && token !== '=')
      throw new Error(`${bucket.name}: the setting at ${settingKey} has a name too long to list`);
    return fromKeyToken(token);
  };
  return {
    async get(name) {
      const entry = await bucket.get<unknown>(key(name));
      return typeof entry?.value === 'string' ? entry.value : undefined;
    },
    async set(name, value) {
      if (value === null) await bucket.delete(key(name));
      else await bucket.put(key(name), value);
    },
    async list() {
      const entries = await mapBounded(await bucket.keys('setting.'), async (settingKey) => {
        const entry = await bucket.get<unknown>(settingKey);
        return typeof entry?.value === 'string' ? { key: nameOf(settingKey), value: entry.value } : undefined;
      });
      return entries.filter((entry) => entry !== undefined).sort((a, b) => compareText(a.key, b.key));
    },
  };
}

/**
 * The NAS store on JetStream KV (or any KvStore): opens its buckets, then builds the repositories.
 *
 * @example
 *   const kv = createJetStreamKv({ kvm: new Kvm(nc), module: 'nas', replicas: 3 });
 *   const store = await createKvNasStore(kv);
 */
export async function createKvNasStore(kv: KvStore): Promise<NasStore> {
  const [nodes, exports, grants, credentials, settings, shares, managed, attempts] = await Promise.all([
    ...['nodes', 'exports', 'grants', 'credentials', 'settings', 'shares', 'managed'].map((name) =>
      kv.bucket(name),
    ),
    kv.bucket('attempts', { maxAgeMs: ATTEMPT_WINDOW_MAX_MS }),
  ]);
  if (!nodes || !exports || !grants || !credentials || !settings || !shares || !managed || !attempts)
    throw new Error('a NAS bucket did not open');
  const inventories = createInventories({
    nodes,
    exports,
    deleteGrantsOf: (exportId) => deleteGrantsOf(grants, exportId),
  });
  return {
    nodes: kvNodeRepository(nodes, inventories),
    exports: kvExportRepository(nodes, exports, inventories),
    grants: kvGrantRepository(grants, {
      exportExists: async (exportId) => (await inventories.exportOf(exportId)) !== undefined,
    }),
    credentials: kvCredentialRepository(credentials),
    settings: kvSettingRepository(settings),
    shares: kvShareRepository(shares),
    attempts: kvAttemptRepository(attempts),
    managedExports: kvManagedExportRepository(managed),
  };
}
