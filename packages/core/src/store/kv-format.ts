// The format of Homeport's records in NATS KV, recorded once under `format` in core_meta. It is the KV twin of
// SQLite's schema_migrations check: a release that changes what a record looks like raises KV_FORMAT, and an
// older binary started on such a store refuses in one line instead of reading (and rewriting) records it does
// not understand. Every replica checks at start; the first one on an empty store records it.

import { CoreError } from '../errors.js';
import { isConflict, type KvStore } from './kv.js';

/** The record format this binary reads and writes. Raise it with any change a previous release cannot read. */
export const KV_FORMAT = 1;

/** Bucket (of module core) and key of the record. */
export const KV_FORMAT_BUCKET = 'meta';
export const KV_FORMAT_KEY = 'format';

export interface KvFormatRecord {
  format: number;
  /** The Homeport version that recorded it. */
  writtenBy: string;
}

const isRecord = (value: unknown): value is KvFormatRecord =>
  typeof value === 'object' &&
  value !== null &&
  Number.isSafeInteger((value as KvFormatRecord).format) &&
  typeof (value as KvFormatRecord).writtenBy === 'string';

/**
 * Records this binary's format on a store that has none, or checks the one recorded. Throws CoreError
 * `database_newer` when the store's format is newer than `known`, changing nothing. An older format is
 * raised to `known` (no release has needed a conversion yet; the one that does runs it before this write).
 * Returns the format the store was at (0 when it had none).
 */
export async function checkKvFormat(kv: KvStore, version: string, known = KV_FORMAT): Promise<number> {
  const bucket = await kv.bucket(KV_FORMAT_BUCKET);
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = await bucket.get<unknown>(KV_FORMAT_KEY);
    try {
      if (entry === undefined) {
        await bucket.create<KvFormatRecord>(KV_FORMAT_KEY, { format: known, writtenBy: version });
        return 0;
      }
      if (!isRecord(entry.value))
        throw new CoreError(
          'database_newer',
          `The NATS KV store's format record (core_meta "${KV_FORMAT_KEY}") is not one this Homeport reads: ${JSON.stringify(entry.value)}. A newer Homeport may have written it; run that version, or restore a backup (docs/operations.md, "Rolling back").`,
        );
      const { format, writtenBy } = entry.value;
      if (format > known)
        throw new CoreError(
          'database_newer',
          `The NATS KV store was written by a newer Homeport (${writtenBy}): its records are at format ${format}, this binary knows up to ${known}. Run the newer version, or restore the backup taken before the upgrade (docs/operations.md, "Rolling back").`,
        );
      if (format < known)
        await bucket.update<KvFormatRecord>(
          KV_FORMAT_KEY,
          { format: known, writtenBy: version },
          entry.revision,
        );
      return format;
    } catch (error) {
      // Another replica recorded or raised it meanwhile: read it again.
      if (!isConflict(error)) throw error;
    }
  }
  throw new CoreError('database_newer', 'the KV format record kept changing while it was checked');
}
