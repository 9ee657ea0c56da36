// The in-process event hub: async publish with delivery before it resolves, opaque cursors that survive a
// restart, history for Last-Event-ID, NATS wildcard meanings, per-topic authorisation that fails closed.

import { describe, expect, it } from 'vitest';
import { isTopicName, isTopicPattern, matchesTopic } from '../src/events/topics.js';
import { createEventHub, createLogger, type EventEnvelope, type Principal } from '../src/index.js';

const admin: Principal = {
  kind: 'user',
  userId: 'u1',
  username: 'a',
  role: 'admin',
  via: 'session',
  viaCookie: false,
};
const member: Principal = { ...admin, role: 'member' };
const always = () => true;

describe('in-process event hub', () => {
  it('delivers to subscribers of the topic before publish resolves, until they unsubscribe', async () => {
    const hub = createEventHub();
    const seen: EventEnvelope[] = [];
    const stop = hub.subscribe(['a.one'], (event) => seen.push(event));
    const published = await hub.publish('a.one', 'x.created', { n: 1 });
    expect(seen).toEqual([published]);
    await hub.publish('a.two', 'x.created', { n: 2 });
    stop();
    await hub.publish('a.one', 'x.created', { n: 3 });
    expect(seen.map((event) => event.data)).toEqual([{ n: 1 }]);
  });

  it('replays history after a cursor, across topics, oldest first, bounded per topic', async () => {
    const hub = createEventHub();
    hub.defineTopic({ pattern: 'a.one', history: 2, authorize: always });
    hub.defineTopic({ pattern: 'logs.*', history: 10, authorize: always });
    const first = await hub.publish('a.one', 't', 1);
    await hub.publish('a.one', 't', 2);
    await hub.publish('logs.app1', 't', 3);
    await hub.publish('a.one', 't', 4);
    expect((await hub.replay(['a.one', 'logs.app1'], first.id)).map((event) => event.data)).toEqual([
      2, 3, 4,
    ]);
    expect((await hub.replay(['a.one'], '0')).map((event) => event.data)).toEqual([2, 4]);
    expect(await hub.replay(['a.one'], 'garbage')).toEqual([]);
    expect(await hub.replay(['logs.app1'], String(Number(first.id) + 1_000_000))).toEqual([]);
  });

  it('issues string cursors that order events and survive a restart', async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const before = createEventHub({ clock });
    const old = await before.publish('a.one', 't', 'old');
    expect(old.id).toMatch(/^\d+$/);
    now += 5000;
    const after = createEventHub({ clock });
    after.defineTopic({ pattern: 'a.one', history: 5, authorize: always });
    const fresh = await after.publish('a.one', 't', 'new');
    expect(after.isAfter(fresh.id, old.id)).toBe(true);
    expect((await after.replay(['a.one'], old.id)).map((event) => event.data)).toEqual(['new']);
    const next = await after.publish('a.one', 't', 'next');
    expect(after.isAfter(fresh.id, next.id)).toBe(false);
    expect(after.isAfter(next.id, next.id)).toBe(false);
    // A cursor it never issued (garbage, or ahead of it) cannot hide events.
    expect(after.isAfter(fresh.id, 'garbage')).toBe(true);
    expect(after.isAfter(fresh.id, String(Number(next.id) + 1))).toBe(true);
  });

  it('matches topics as NATS matches subjects: * is one token, > one or more at the end', async () => {
    const hub = createEventHub();
    hub.defineTopic({ pattern: 'nas.shares.*', history: 10, authorize: always });
    hub.defineTopic({ pattern: 'deploy.>', history: 10, authorize: always });
    const heard: string[] = [];
    hub.subscribe(['nas.shares.*'], (event) => heard.push(`star ${event.topic}`));
    hub.subscribe(['deploy.>'], (event) => heard.push(`tail ${event.topic}`));
    for (const topic of [
      'nas.shares.u1',
      'nas.shares.u1.x',
      'nas.shares',
      'deploy.a',
      'deploy.a.b',
      'deploy',
    ])
      await hub.publish(topic, 't', topic);
    expect(heard).toEqual(['star nas.shares.u1', 'tail deploy.a', 'tail deploy.a.b']);
    expect((await hub.replay(['nas.shares.*'], '0')).map((event) => event.topic)).toEqual(['nas.shares.u1']);
    expect((await hub.replay(['deploy.>'], '0')).map((event) => event.topic)).toEqual([
      'deploy.a',
      'deploy.a.b',
    ]);
    // Only what a definition covers is kept: nas.shares.u1.x matched no definition.
    expect(await hub.replay(['nas.shares.u1.x'], '0')).toEqual([]);

    expect(matchesTopic('a.*.c', 'a.b.c')).toBe(true);
    expect(matchesTopic('a.*.c', 'a.b.d')).toBe(false);
    expect(matchesTopic('a.>', 'a')).toBe(false);
    expect(isTopicPattern('a.>.b')).toBe(false);
    expect(isTopicPattern('a.*.>')).toBe(true);
    for (const bad of ['', 'a..b', 'a.', '.a', 'a b', 'a.*', 'a.>', '_a'])
      expect(isTopicName(bad), bad).toBe(false);
    expect(isTopicName('nas.shares.Ab_-9')).toBe(true);
  });

  it('calls a subscription once per event even when several of its topics match', async () => {
    const hub = createEventHub();
    const seen: string[] = [];
    hub.subscribe(['a.b', 'a.*', 'a.>'], (event) => seen.push(event.topic));
    await hub.publish('a.b', 't', 1);
    expect(seen).toEqual(['a.b']);
  });

  it('keeps delivering to others, and resolves the publish, when one listener throws', async () => {
    const hub = createEventHub({ log: createLogger({ level: 'silent' }) });
    const seen: number[] = [];
    hub.subscribe(['a'], () => {
      throw new Error('broken listener');
    });
    hub.subscribe(['a'], (event) => seen.push(event.data as number));
    await expect(hub.publish('a', 't', 7)).resolves.toMatchObject({ data: 7 });
    expect(seen).toEqual([7]);
  });

  it('refuses to publish on something that is not a topic name', async () => {
    const hub = createEventHub();
    await expect(hub.publish('a.*', 't', 1)).rejects.toThrow(/not a topic name/);
    await expect(hub.publish('a..b', 't', 1)).rejects.toThrow(/not a topic name/);
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
    hub.defineTopic({ pattern: 'mine.*', history: 0, authorize: (_p, topic) => topic === 'mine.u1' });
    await expect(hub.authorize(admin, ['admin.only'])).resolves.toBeUndefined();
    await expect(hub.authorize(member, ['admin.only'])).rejects.toMatchObject({ code: 'forbidden_topic' });
    await expect(hub.authorize(admin, ['nope'])).rejects.toMatchObject({ code: 'unknown_topic' });
    await expect(hub.authorize(admin, ['broken'])).rejects.toMatchObject({ code: 'forbidden_topic' });
    await expect(hub.authorize(admin, ['mine.u1'])).resolves.toBeUndefined();
    // A wildcard is never authorised as a topic, even where the rule would say yes to each match.
    await expect(hub.authorize(admin, ['mine.*'])).rejects.toMatchObject({ code: 'unknown_topic' });
    await expect(hub.authorize(admin, ['mine.u1.x'])).rejects.toMatchObject({ code: 'unknown_topic' });
  });

  it('refuses to define a topic twice, or a pattern that is not valid', () => {
    const hub = createEventHub();
    hub.defineTopic({ pattern: 'a', history: 0, authorize: always });
    expect(() => hub.defineTopic({ pattern: 'a', history: 0, authorize: always })).toThrow(/twice/);
    expect(() => hub.defineTopic({ pattern: 'a.>.b', history: 0, authorize: always })).toThrow(/not valid/);
    expect(() => hub.defineTopic({ pattern: 'b', history: -1, authorize: always })).toThrow(/history/);
  });
});
