// Generations of a node's credential key: which ones an agent accepts, and how a rotation moves them.
// Keys are derived from the control plane's secret (`nodeDavKey`), so only generation numbers are stored.

import { nodeDavKey } from '../credentials/mount-credential.js';
import type { NodeRecord } from './store/repositories.js';

/** Retired generations an agent keeps accepting at most (a node restarting often must not grow the list). */
export const MAX_GRACE_KEYS = 64;

type KeyFields = Pick<NodeRecord, 'keyId' | 'graceFromKeyId' | 'graceUntil'>;

/**
 * The next generation. With `grace`, credentials signed by the generations before stay valid until they
 * expire (a node re-registering with its own token: its users' mounts keep working); without it (the
 * node was taken over or an admin asked), everything signed before ends now.
 */
export function rotateKey(
  node: KeyFields,
  options: { grace: boolean; nowSeconds: number; ttlSeconds: number },
): KeyFields {
  const keyId = node.keyId + 1;
  if (!options.grace) return { keyId, graceFromKeyId: keyId, graceUntil: null };
  const stillInGrace = node.graceUntil !== null && node.graceUntil > options.nowSeconds;
  const from = stillInGrace ? node.graceFromKeyId : node.keyId;
  return {
    keyId,
    graceFromKeyId: Math.max(from, keyId - MAX_GRACE_KEYS),
    // Whatever the old generations signed expires within one lifetime from now.
    graceUntil: options.nowSeconds + options.ttlSeconds,
  };
}

/** The generations the node accepts now, newest last, with their keys (base64url). */
export function acceptedKeys(
  node: Pick<NodeRecord, 'id'> & KeyFields,
  davAuthSecret: string,
  nowSeconds: number,
): { id: number; key: string; notAfter: number | null }[] {
  const keys: { id: number; key: string; notAfter: number | null }[] = [];
  const graceOpen = node.graceUntil !== null && node.graceUntil > nowSeconds;
  const first = graceOpen ? node.graceFromKeyId : node.keyId;
  for (let id = first; id <= node.keyId; id += 1) {
    keys.push({
      id,
      key: nodeDavKey(davAuthSecret, node.id, id).toString('base64url'),
      notAfter: id === node.keyId ? null : node.graceUntil,
    });
  }
  return keys;
}
