// Before a node joins a cluster: the identity files under `<dataDir>/nats` must be the cluster's (derived from
// HOMEPORT_SECRET_KEY), never silently replaced, because the JetStream data there belongs to their accounts.

import { readIfExists } from '../fs/private-files.js';
import type { DerivedKeyLabel, KeyDeriver } from './derived-keys.js';
import { NatsError } from './errors.js';
import { claimsOf, identityPaths } from './identity.js';
import { ALL_ACCOUNTS } from './layout.js';

/** The identity files under `natsDir` that hold a key other than the derived one. */
export function foreignIdentityFiles(natsDir: string, derive: KeyDeriver): string[] {
  const paths = identityPaths(natsDir);
  const checks: { file: string; label: DerivedKeyLabel; kind: 'seed' | 'jwt' }[] = [
    { file: paths.operatorSeed, label: 'operator', kind: 'seed' },
    { file: paths.operatorSigningSeed, label: 'operator-signing', kind: 'seed' },
    { file: paths.operatorJwt, label: 'operator', kind: 'jwt' },
    ...ALL_ACCOUNTS.flatMap((name) => [
      { file: paths.accountSeed(name), label: `account-${name}` as const, kind: 'seed' as const },
      {
        file: paths.accountSigningSeed(name),
        label: `account-${name}-signing` as const,
        kind: 'seed' as const,
      },
      { file: paths.accountJwt(name), label: `account-${name}` as const, kind: 'jwt' as const },
    ]),
  ];
  const foreign: string[] = [];
  for (const { file, label, kind } of checks) {
    const text = readIfExists(file)?.trim();
    if (text === undefined) continue;
    const key = derive(label);
    // An unreadable JWT is signed again by loadOrCreateIdentity; only a readable one names an identity.
    const holds = kind === 'seed' ? text : claimsOf(text)?.sub;
    const wanted = kind === 'seed' ? new TextDecoder().decode(key.getSeed()) : key.getPublicKey();
    if (holds !== undefined && holds !== wanted) foreign.push(file);
  }
  return foreign;
}

/**
 * Refuses to start a cluster node on a data dir whose NATS identity is not the cluster's: a single node's
 * random one, or one derived from another secret key. Replacing it would orphan the JetStream data of its
 * accounts, so the operator decides (docs/nats.md, "A cluster of managed servers").
 */
export function assertClusterIdentity(natsDir: string, derive: KeyDeriver): void {
  const foreign = foreignIdentityFiles(natsDir, derive);
  if (foreign.length === 0) return;
  throw new NatsError(
    'nats_identity_conflict',
    `${natsDir} holds another NATS identity than this cluster's (${foreign.join(', ')}): it was made for a single node, or derived from another HOMEPORT_SECRET_KEY. ` +
      `A cluster node derives its operator and accounts from HOMEPORT_SECRET_KEY, the same on every node. ` +
      `If nothing in this node's NATS must be kept (a new node, or the SQLite store), stop Homeport, move the folder aside (mv ${natsDir} ${natsDir}.single-node) and start again. ` +
      `To keep the buckets and streams in it, see docs/nats.md, "Moving a single node into a cluster".`,
  );
}
