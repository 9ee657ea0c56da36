// The agent credential of a page: issued once for concurrent callers, renewed after two thirds of its life,
// and renewed once (then the request tried again) when the agent answers 401.
import { describe, expect, it } from 'vitest';
import { createAccessKeeper } from '../src/pages/files/access-keeper';
import { AgentError } from '../src/pages/files/agent-error';
import type { AgentAccess } from '../src/pages/files/files-types';

function issuer(lifeMs = 900_000) {
  let clock = 1_000_000;
  let issued = 0;
  const keeper = createAccessKeeper<AgentAccess>({
    now: () => clock,
    issue: async () => {
      issued += 1;
      return {
        baseUrl: 'http://n/dav/x/',
        token: `t${issued}`,
        expiresAt: new Date(clock + lifeMs).toISOString(),
      };
    },
  });
  return {
    keeper,
    issued: () => issued,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('agent access keeper', () => {
  it('issues one credential for callers that ask at the same time', async () => {
    const { keeper, issued } = issuer();
    const all = await Promise.all([keeper.get(), keeper.get(), keeper.get()]);
    expect(new Set(all.map((a) => a.token))).toEqual(new Set(['t1']));
    expect(issued()).toBe(1);
  });

  it('renews once two thirds of the life have passed, not before', async () => {
    const { keeper, advance } = issuer(900_000);
    expect((await keeper.get()).token).toBe('t1');
    advance(599_000);
    expect((await keeper.get()).token).toBe('t1');
    advance(2_000);
    expect((await keeper.get()).token).toBe('t2');
  });

  it('on 401 renews once and tries again; a second 401 is the caller’s', async () => {
    const { keeper, issued } = issuer();
    const seen: string[] = [];
    const result = await keeper.run(async (access) => {
      seen.push(access.token);
      if (access.token === 't1') throw new AgentError(401, 'unauthorized', 'no');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen).toEqual(['t1', 't2']);
    await expect(
      keeper.run(async () => {
        throw new AgentError(401, 'unauthorized', 'no');
      }),
    ).rejects.toMatchObject({ status: 401 });
    expect(issued()).toBe(3);
  });

  it('does not renew for other failures', async () => {
    const { keeper, issued } = issuer();
    await expect(
      keeper.run(async () => {
        throw new AgentError(403, 'forbidden', 'no');
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(issued()).toBe(1);
  });

  it('two requests refused with the same credential share one renewal', async () => {
    const { keeper, issued } = issuer();
    const stale = await keeper.get();
    const [a, b] = await Promise.all([keeper.renew(stale), keeper.renew(stale)]);
    expect(a.token).toBe('t2');
    expect(b.token).toBe('t2');
    expect((await keeper.renew(stale)).token).toBe('t2');
    expect(issued()).toBe(2);
  });

  it('keeps a credential a minute at least when the clocks disagree', async () => {
    const { keeper, issued, advance } = issuer(-3_600_000);
    await keeper.get();
    await keeper.get();
    expect(issued()).toBe(1);
    advance(61_000);
    await keeper.get();
    expect(issued()).toBe(2);
  });
});
