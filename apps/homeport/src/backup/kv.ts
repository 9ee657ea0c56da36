// The KV side of `homeport backup` (HOMEPORT_STORE=kv): every bucket of Homeport's modules written into the
// archive as `kv/<bucket>.jsonl` (one `{"key","value"}` line per entry, the value's stored bytes in base64),
// and a restore that brings each bucket to exactly what the archive holds. What lives only while replicas
// run (rate-limit windows, quorum probes, presence records) is left out.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type BucketEntry,
  createJetStreamKv,
  KV_FORMAT,
  listBuckets,
  livePresence,
  type NatsOn,
  PRESENCE_BUCKET,
  purgeBucket,
  readBucket,
  writeBucket,
} from '@homeport/core';
import { BackupError } from './errors.js';

export interface KvBucketRecord {
  bucket: string;
  entries: number;
  /** The bucket's age limit, kept on restore. */
  maxAgeMs?: number;
}

/** What the manifest says about a KV store's archive. */
export interface KvManifest {
  /** The store's record format (core_meta "format") this Homeport wrote. */
  format: number;
  /** Tells whether a HOMEPORT_SECRET_KEY is the one that sealed core_secrets, without holding the key. */
  secretKeyCheck: string;
  buckets: KvBucketRecord[];
}

/** Where a backup reads or a restore writes: the open connection and what this Homeport runs with. */
export interface KvSide {
  nats: Pick<NatsOn, 'js' | 'kvm'>;
  /** The modules whose buckets are Homeport's (`<module>_<name>`); other buckets in the account are not. */
  modules: readonly string[];
  /** HOMEPORT_SECRET_KEY. */
  secretKey: string;
  /** HOMEPORT_KV_REPLICAS: copies of each bucket a restore creates. */
  replicas: number;
}

/**
 * Buckets that only matter while replicas run: the shared rate limiter's windows (core_ratelimit,
 * http/shared-rate-limit.ts), the quorum watch's probes (core_quorum<n>, store/quorum.ts) and the presence
 * records (store/presence.ts). A restore starts them empty.
 */
const TRANSIENT = new RegExp(`^core_(ratelimit|quorum\\d+|${PRESENCE_BUCKET})$`);

export const kvFile = (bucket: string) => `kv/${bucket}.jsonl`;

/** One-way check of the secret key: a restore compares it, the archive never holds the key. */
export const secretKeyCheck = (secretKey: string) =>
  createHash('sha256').update(`homeport-backup-secret-key-check\0${secretKey}`).digest('hex').slice(0, 32);

/** Homeport's buckets worth keeping in the account, with their age limits. */
async function homeportBuckets(side: KvSide) {
  return (await listBuckets(side.nats.js)).filter((info) => {
    const module = info.bucket.slice(0, info.bucket.indexOf('_'));
    return side.modules.includes(module) && !TRANSIENT.test(info.bucket);
  });
}

/** Writes every bucket's entries under `staging` and returns the manifest part and the files written. */
export async function dumpKv(
  side: KvSide,
  staging: string,
): Promise<{ manifest: KvManifest; files: string[] }> {
  const buckets: KvBucketRecord[] = [];
  const files: string[] = [];
  for (const info of await homeportBuckets(side)) {
    const entries = await readBucket(side.nats.js, info.bucket);
    const lines = entries.map(
      (entry) =>
        `${JSON.stringify({ key: entry.key, value: Buffer.from(entry.value).toString('base64') })}\n`,
    );
    await writeFile(join(staging, kvFile(info.bucket)), lines.join(''), { mode: 0o600 });
    files.push(kvFile(info.bucket));
    buckets.push({
      bucket: info.bucket,
      entries: entries.length,
      ...(info.maxAgeMs === undefined ? {} : { maxAgeMs: info.maxAgeMs }),
    });
  }
  return { manifest: { format: KV_FORMAT, secretKeyCheck: secretKeyCheck(side.secretKey), buckets }, files };
}

/** Reads a bucket's file back, checking every line (the checksum already matched; this is about its shape). */
async function readEntries(path: string, bucket: string): Promise<BucketEntry[]> {
  const entries: BucketEntry[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line += 1;
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const entry = value as { key?: unknown; value?: unknown } | undefined;
    if (typeof entry?.key !== 'string' || entry.key === '' || typeof entry.value !== 'string')
      throw new BackupError(
        'archive_invalid',
        `${kvFile(bucket)} line ${line} is not a {"key","value"} entry`,
      );
    entries.push({ key: entry.key, value: Buffer.from(entry.value, 'base64') });
  }
  return entries;
}

/** The checks a KV restore makes of the manifest before it connects anywhere. */
export function checkKvManifest(kv: KvManifest | undefined, side: KvSide): KvManifest {
  if (
    kv === undefined ||
    !Number.isSafeInteger(kv.format) ||
    typeof kv.secretKeyCheck !== 'string' ||
    !Array.isArray(kv.buckets) ||
    !kv.buckets.every(
      (record) =>
        typeof record?.bucket === 'string' &&
        /^[A-Za-z0-9_-]+$/.test(record.bucket) &&
        Number.isSafeInteger(record.entries) &&
        (record.maxAgeMs === undefined || Number.isSafeInteger(record.maxAgeMs)),
    )
  )
    throw new BackupError('archive_invalid', 'the archive’s manifest does not describe its KV buckets');
  if (kv.format > KV_FORMAT)
    throw new BackupError(
      'archive_newer',
      `the archive's records are at KV format ${kv.format}, this Homeport knows up to ${KV_FORMAT}: restore it with the version that wrote it`,
    );
  if (kv.secretKeyCheck !== secretKeyCheck(side.secretKey))
    throw new BackupError(
      'secret_key_mismatch',
      'HOMEPORT_SECRET_KEY is not the key this backup was taken with: the secrets in it (core_secrets) could not be opened; restore with the same key',
    );
  return kv;
}

/** Refuses while any Homeport replica runs on the store (their presence records, store/presence.ts). */
export async function assertNoReplica(side: KvSide, now: number): Promise<void> {
  const kv = createJetStreamKv({ kvm: side.nats.kvm, module: 'core', replicas: side.replicas });
  const live = await livePresence(kv, now);
  if (live.length > 0)
    throw new BackupError(
      'target_in_use',
      `Homeport runs on this store (${live.map((entry) => `${entry.hostname} pid ${entry.pid}, ${entry.version}`).join('; ')}); stop every replica first`,
    );
}

/** Homeport's buckets on the store that hold entries (what a restore would replace). */
export async function occupiedBuckets(side: KvSide): Promise<string[]> {
  return (await homeportBuckets(side)).filter((info) => info.messages > 0).map((info) => info.bucket);
}

/**
 * Reads every bucket file of the archive and checks it against the manifest, before anything is changed:
 * a damaged file stops the restore with the store as it was.
 */
export async function readKvArchive(kv: KvManifest, staging: string): Promise<Map<string, BucketEntry[]>> {
  const buckets = new Map<string, BucketEntry[]>();
  for (const record of kv.buckets) {
    const entries = await readEntries(join(staging, kvFile(record.bucket)), record.bucket);
    if (entries.length !== record.entries)
      throw new BackupError(
        'archive_damaged',
        `${kvFile(record.bucket)} holds ${entries.length} entries, the manifest says ${record.entries}`,
      );
    buckets.set(record.bucket, entries);
  }
  return buckets;
}

/**
 * Brings every bucket in the archive to exactly its entries and empties Homeport's buckets the archive does
 * not have, so the store holds what the archive holds and nothing from before.
 */
export async function loadKv(
  side: KvSide,
  kv: KvManifest,
  buckets: ReadonlyMap<string, readonly BucketEntry[]>,
): Promise<void> {
  for (const record of kv.buckets) {
    await writeBucket(
      side.nats.js,
      side.nats.kvm,
      record.bucket,
      { replicas: side.replicas, maxAgeMs: record.maxAgeMs },
      buckets.get(record.bucket) ?? [],
    );
  }
  for (const info of await homeportBuckets(side)) {
    if (!buckets.has(info.bucket) && info.messages > 0) await purgeBucket(side.nats.js, info.bucket);
  }
}
