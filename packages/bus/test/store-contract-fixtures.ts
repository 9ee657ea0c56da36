// Records for the bus store contract suite, and ways to look at what calls threw.

import { createHash } from 'node:crypto';
import type { BusUserInput, MemberRecord, RoomRecord, SealedKeyInput } from '../src/store/repositories.js';

/** A 64-hex identity key made from a name (the same name, the same key). */
export const hexKey = (name: string): string => createHash('sha256').update(name).digest('hex');

export const AT = '2026-01-01T00:00:00.000Z';
/** `AT` plus `n` minutes. */
export const at = (n: number): string => new Date(Date.parse(AT) + n * 60_000).toISOString();

export function userInput(name: string, overrides: Partial<BusUserInput> = {}): BusUserInput {
  return {
    signPub: hexKey(`sign:${name}`),
    kexPub: hexKey(`kex:${name}`),
    handle: name,
    role: 'member',
    userId: `user_${name}`,
    ...overrides,
  };
}

export function roomRecord(id: string, owner: string, overrides: Partial<RoomRecord> = {}): RoomRecord {
  return {
    id,
    name: `Room ${id}`,
    kind: 'chat',
    subject: `bus.room.${id}`,
    policy: { encrypted: true, persisted: true, signed: true },
    rotation: { maxAgeMs: 86_400_000, maxMessages: null },
    history: 'shared',
    retention: { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 30 * 86_400_000 },
    ownerSignPub: owner,
    epoch: 1,
    epochStartedAt: AT,
    createdAt: AT,
    ...overrides,
  };
}

/** A sealed key whose text says who it is for, for which epoch, and which writer (`tag`) sealed it. */
export function sealedKey(epoch: number, signPub: string, sealedBy: string, tag = 'k'): SealedKeyInput {
  return { epoch, signPub, sealed: `${tag}-${epoch}-${signPub.slice(0, 8).toLowerCase()}`, sealedBy };
}

export function memberRecord(
  roomId: string,
  signPub: string,
  overrides: Partial<MemberRecord> = {},
): MemberRecord {
  return {
    roomId,
    signPub,
    role: 'member',
    joinedEpoch: 1,
    addedAt: at(1),
    addedBy: signPub,
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
export async function settle<T>(calls: readonly Promise<T>[]) {
  const results = await Promise.allSettled(calls);
  return {
    fulfilled: results
      .filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled')
      .map((r) => r.value),
    rejected: results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as unknown),
  };
}
