import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createPasswordPool, type PasswordPool } from '../src/password-pool.js';

const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
let pool: PasswordPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** Nice values of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('password pool', () => {
  it('hashes argon2id and verifies right and wrong passwords, many at once', async () => {
    pool = createPasswordPool({ size: 2 });
    const hash = await pool.hash('correct horse', OPTIONS);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        pool?.verify(hash, index % 2 === 0 ? 'correct horse' : 'wrong'),
      ),
    );
    expect(answers).toEqual([true, false, true, false, true, false]);
  });

  it('rejects a malformed stored hash without losing the thread', async () => {
    pool = createPasswordPool({ size: 1 });
    await expect(pool.verify('$argon2id$garbage', 'x')).rejects.toThrow();
    const hash = await pool.hash('still works', OPTIONS);
    await expect(pool.verify(hash, 'still works')).resolves.toBe(true);
  });

  it('runs its threads below the event loop’s priority', async () => {
    const before = threadNices().filter((nice) => nice === 10).length;
    pool = createPasswordPool({ size: 2, nice: 10 });
    const hash = await pool.hash('x', OPTIONS);
    await Promise.all([pool.verify(hash, 'x'), pool.verify(hash, 'x')]);
    expect(threadNices().filter((nice) => nice === 10).length - before).toBe(2);
    // The event loop's own thread keeps its priority.
    const main = readFileSync('/proc/self/stat', 'utf8');
    expect(Number(main.slice(main.lastIndexOf(')') + 2).split(' ')[16])).toBe(0);
  });

  it('refuses work after close and rejects what was queued', async () => {
    pool = createPasswordPool({ size: 1 });
    const queued = Promise.allSettled([
      pool.hash('a', OPTIONS),
      pool.hash('b', OPTIONS),
      pool.hash('c', OPTIONS),
    ]);
    await pool.close();
    const settled = await queued;
    expect(settled.filter((result) => result.status === 'rejected').length).toBeGreaterThanOrEqual(2);
    await expect(pool.hash('d', OPTIONS)).rejects.toThrow('closed');
  });
});
