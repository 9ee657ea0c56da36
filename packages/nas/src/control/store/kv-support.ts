// What the NAS repositories on the KV port share: core's KV document helpers under the names the
// repositories use, and the NAS's compare-and-set budget.

export {
  compareText,
  kvKeyPart as part,
  lastKeyToken as lastToken,
  mapBounded,
  readKvDoc as readDoc,
  sha256Token as sha256,
} from '@homeport/core';

/**
 * Compare-and-set attempts before a conflict reaches the caller. Each lost attempt means another writer
 * won, so this bounds how many may write one record at once (an agent, the status loop, an admin or two).
 */
export const CAS_TRIES = 16;
