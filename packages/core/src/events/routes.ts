// GET /api/v1/events?topics=a,b — the SPA's live feed, authorised per topic, resumable with Last-Event-ID
// (subscribed before the replay, duplicates dropped: see resume.ts).
// A stream lasts only as long as what authorised it: it is re-checked when the principal's access changes
// and on a timer, and closed once the credential ended or a topic is no longer allowed.

import { Type } from 'typebox';
import { CoreError } from '../errors.js';
import type { HttpApp } from '../http/server.js';
import type { AuthGuards, Principal } from '../module.js';
import type { EventBus } from './hub.js';
import { followFrom } from './resume.js';
import type { SseRegistry, SseStream } from './sse.js';
import { isTopicName } from './topics.js';

export interface EventRoutesOptions {
  events: EventBus;
  sse: SseRegistry;
  auth: AuthGuards;
  /**
   * How often every open stream's credential is re-checked (ms, default 30 s): catches what no notification
   * reaches this process for — expiry, and changes made by another process such as `homeport user`.
   */
  recheckMs?: number;
}

/** The open event streams, for whoever learns that a principal's access changed. */
export interface EventStreams {
  /**
   * Re-checks one user's open streams now: those whose credential ended are closed, and those whose topics
   * the user's current role no longer allows (a demoted admin on an admin-only topic).
   */
  recheckUser(userId: string): Promise<void>;
  /** Re-checks every open stream (what the timer does). */
  recheckAll(): Promise<void>;
  readonly size: number;
}

interface OpenStream {
  stream: SseStream;
  topics: readonly string[];
  principal: Principal;
}

const ownerOf = (principal: Principal): string => (principal.kind === 'user' ? principal.userId : '');

export function registerEventRoutes(app: HttpApp, deps: EventRoutesOptions): EventStreams {
  const byOwner = new Map<string, Set<OpenStream>>();
  let size = 0;

  const recheck = async (entry: OpenStream): Promise<void> => {
    if (entry.stream.closed) return;
    let current: Principal | null = null;
    try {
      current = await deps.auth.recheck(entry.principal);
      if (current && current.kind === 'user' && entry.principal.kind === 'user') {
        if (current.role !== entry.principal.role) await deps.events.authorize(current, entry.topics);
      }
    } catch (error) {
      // forbidden_topic after a role change; a failing store check closes too (fail closed).
      if (!(error instanceof CoreError)) app.log.warn({ err: error }, 'event stream re-check failed');
      current = null;
    }
    if (current === null) entry.stream.close();
    else entry.principal = current;
  };

  const recheckEach = async (entries: Iterable<OpenStream>) => {
    await Promise.all([...entries].map(recheck));
  };
  const recheckAll = () => recheckEach([...byOwner.values()].flatMap((entries) => [...entries]));

  const timer = setInterval(() => void recheckAll(), deps.recheckMs ?? 30_000);
  timer.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(timer);
    done();
  });

  app.get(
    '/api/v1/events',
    {
      preHandler: deps.auth.requireUser,
      schema: {
        summary: 'Live events as Server-Sent Events',
        description:
          'The stream is closed when the session or token behind it ends, the user is disabled, or their ' +
          'role no longer allows one of the topics; reconnecting then answers 401 or 403.',
        tags: ['events'],
        querystring: Type.Object({
          topics: Type.String({ minLength: 1, maxLength: 2048, description: 'Comma-separated topic names' }),
          lastEventId: Type.Optional(
            Type.String({
              maxLength: 64,
              description: 'Resume after this event id (for clients that cannot send Last-Event-ID)',
            }),
          ),
        }),
        response: { 200: Type.String({ description: 'text/event-stream' }) },
      },
    },
    async (request, reply) => {
      const topics = [...new Set(request.query.topics.split(',').map((topic) => topic.trim()))].filter(
        Boolean,
      );
      const bad = topics.find((topic) => !isTopicName(topic));
      if (bad !== undefined || topics.length === 0 || topics.length > 32) {
        throw new CoreError('invalid_request', 'topics must be 1–32 comma-separated topic names');
      }
      // principal is set by requireUser above
      const principal = request.principal!;
      await deps.events.authorize(principal, topics);

      const stream = deps.sse.open(reply);
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' ? header : request.query.lastEventId;
      let unsubscribe: () => void;
      try {
        unsubscribe = await followFrom(deps.events, topics, lastEventId, (event) => {
          stream.send({ id: event.id, event: event.type, data: event });
        });
      } catch (error) {
        // The stream is open already: closing it makes the client reconnect with the same Last-Event-ID.
        app.log.warn({ err: error, topics }, 'event replay failed; stream closed');
        stream.close();
        return reply;
      }
      if (stream.closed) {
        // The client left during the replay; the stream's close listeners ran before this one existed.
        unsubscribe();
        return reply;
      }
      const entry: OpenStream = { stream, topics, principal };
      const owner = ownerOf(principal);
      const entries = byOwner.get(owner) ?? new Set();
      entries.add(entry);
      byOwner.set(owner, entries);
      size += 1;
      stream.onClose(() => {
        unsubscribe();
        entries.delete(entry);
        if (entries.size === 0 && byOwner.get(owner) === entries) byOwner.delete(owner);
        size -= 1;
      });
      return reply;
    },
  );

  return {
    get size() {
      return size;
    },
    async recheckUser(userId) {
      const entries = byOwner.get(userId);
      if (entries) await recheckEach(entries);
    },
    recheckAll,
  };
}
