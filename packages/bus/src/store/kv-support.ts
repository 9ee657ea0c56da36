// What the bus repositories on the KV port share: core's KV document helpers under the names the
// repositories use, and the bus's compare-and-set budget.

export {
  compareText,
  deleteKvKeys as deleteAll,
  freshKvId as freshId,
  keyTokens as tokens,
  kvKeyPart as part,
  lastKeyToken as lastToken,
  mapBounded,
  readKvDoc as readDoc,
} from '@homeport/core';

/**
 * Compare-and-set attempts before a conflict reaches the caller. Each lost attempt means another writer
 * won, so this bounds how many may write one document at once (replicas adding members, revocations).
 */
export const CAS_TRIES = 16;
