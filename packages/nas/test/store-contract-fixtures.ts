// Records for the NAS store contract suite, and a way to look at what a call threw.

import type {
  CredentialRecord,
  ExportInput,
  ExportRecord,
  NodeRecord,
} from '../src/control/store/repositories.js';

let sequence = 0;
const next = () => {
  sequence += 1;
  return sequence;
};

export function nodeRecord(overrides: Partial<NodeRecord> = {}): NodeRecord {
  const n = next();
  return {
    id: `node_${n}`,
    agentKind: 'homeport',
    machineId: `machine-${n}`,
    displayName: `Node ${n}`,
    agentVersion: '1.0.0',
    reportedStatus: 'online',
    status: 'offline',
    lastSeenAt: 1_000,
    directAddress: 'http://10.0.0.1:8090',
    relayAddress: null,
    tokenHash: 'ab'.repeat(32),
    createdAt: '2026-01-01T00:00:00.000Z',
    keyId: 1,
    graceFromKeyId: 1,
    graceUntil: null,
    enrolmentHash: null,
    enrolmentExpiresAt: null,
    ...overrides,
  };
}

export function exportInput(name: string, overrides: Partial<ExportInput> = {}): ExportInput {
  return {
    label: `Export ${name}`,
    path: `/srv/${name}`,
    mountPath: `/dav/exports/${name}/`,
    protocols: ['webdav'],
    capacityBytes: 1_000_000,
    freeBytes: 600_000,
    usedBytes: 400_000,
    tags: ['disk'],
    ...overrides,
  };
}

export function exportRecord(
  nodeId: string,
  name: string,
  overrides: Partial<ExportRecord> = {},
): ExportRecord {
  return {
    ...exportInput(name),
    id: `exp_${name}`,
    nodeId,
    createdAt: '2026-01-02T00:00:00.000Z',
    ...overrides,
  };
}

/** Ids `<prefix>_1`, `<prefix>_2`, … in the order asked for. */
export function idSequence(prefix = 'exp'): () => string {
  let n = 0;
  return () => {
    n += 1;
    return `${prefix}_${n}`;
  };
}

export function credentialRecord(overrides: Partial<CredentialRecord> = {}): CredentialRecord {
  return {
    username: `mount-${next()}`,
    userId: 'user_ann',
    shareId: null,
    exportId: 'exp_a',
    nodeId: 'node_a',
    readonly: false,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: 2_000,
    revokedAt: null,
    ...overrides,
  };
}

/** What `work` threw (the test fails if it did not throw). */
export async function thrown(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/** Both outcomes of a set of concurrent calls. */
export async function settle(calls: readonly Promise<unknown>[]) {
  const results: PromiseSettledResult<unknown>[] = await Promise.allSettled(calls);
  return {
    fulfilled: results
      .filter((r): r is PromiseFulfilledResult<unknown> => r.status === 'fulfilled')
      .map((r) => r.value),
    rejected: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason),
  };
}

/** Ids that are awkward as key tokens: dots, wildcards, spaces, non-ASCII, a long one. */
export const AWKWARD_IDS = ['a.b', 'x*y>z', 'with space', 'ünï©ode-😀', '', 'l'.repeat(300)] as const;
