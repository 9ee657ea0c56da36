// Event hub: delivery, history for Last-Event-ID, per-topic authorisation that fails closed.

import { describe, expect, it } from 'vitest';
import { createEventHub, type EventEnvelope, type Principal } from '../src/index.js';

const admin: Principal = {
  kind: 'user',
  userId: 'u1',
  username: 'a',
  role: 'admin',
  via: 'session',
  viaCookie: false,
};
const member: Principal = { ...admin, role: 'member' };

describe('event hub', () => {
  it('delivers to subscribers of the topic only, until they unsubscribe', () => {
    const hub = createEventHub();
    const seen: EventEnvelope[] = [];
    const stop = hub.subscribe(['a.one'], (event) => seen.push(event));
    hub.publish('a.one', 'x.created', { n: 1 });
    hub.publish('a.two', 'x.created', { n: 2 });
    stop();
    hub.publish('a.one', 'x.created', { n: 3 });
    expect(seen.map((event) => event.data)).toEqual([{ n: 1 }]);
  });

  it('replays history after a given id, across topics, oldest first, bounded per topic', () => {
    const hub = createEventHub();
    hub.defineTopic({ pattern: 'a.one', history: 2, authorize: () => true });
    hub.defineTopic({ pattern: 'logs.*', history: 10, authorize: () => true });
    const first = hub.publish('a.one', 't', 1);
    hub.publish('a.one', 't', 2);
    hub.publish('logs.app1', 't', 3);
    hub.publish('a.one', 't', 4);
    expect(hub.replay(['a.one', 'logs.app1'], first.id).map((event) => event.data)).toEqual([2, 3, 4]);
    expect(hub.replay(['a.one'], '0').map((event) => event.data)).toEqual([2, 4]);
    expect(hub.replay(['a.one'], 'garbage')).toEqual([]);
  });

  it('authorises per topic: unknown → unknown_topic, denied or throwing rule → forbidden_topic', async () => {
    const hub = createEventHub();
    hub.defineTopic({
      pattern: 'admin.only',
      history: 0,
      authorize: (principal) => principal.kind === 'user' && principal.role === 'admin',
    });
    hub.defineTopic({
      pattern: 'broken',
      history: 0,
      authorize: () => {
        throw new Error('backend down');
      },
    });
    await expect(hub.authorize(admin, ['admin.only'])).resolves.toBeUndefined();
    await expect(hub.authorize(member, ['admin.only'])).rejects.toMatchObject({ code: 'forbidden_topic' });
    await expect(hub.authorize(admin, ['nope'])).rejects.toMatchObject({ code: 'unknown_topic' });
    await expect(hub.authorize(admin, ['broken'])).rejects.toMatchObject({ code: 'forbidden_topic' });
  });

  it('refuses to define a topic twice', () => {
    const hub = createEventHub();
    hub.defineTopic({ pattern: 'a', history: 0, authorize: () => true });
    expect(() => hub.defineTopic({ pattern: 'a', history: 0, authorize: () => true })).toThrow(/twice/);
  });
});
