// GET /api/v1/events?topics=a,b — the SPA's live feed, authorised per topic, resumable with Last-Event-ID.

import { Type } from 'typebox';
import { CoreError } from '../errors.js';
import type { HttpApp } from '../http/server.js';
import type { AuthGuards } from '../module.js';
import type { EventBus } from './hub.js';
import type { SseRegistry } from './sse.js';

const TOPIC = /^[a-z0-9][a-z0-9._-]{0,127}$/;

export function registerEventRoutes(
  app: HttpApp,
  deps: { events: EventBus; sse: SseRegistry; auth: AuthGuards },
): void {
  app.get(
    '/api/v1/events',
    {
      preHandler: deps.auth.requireUser,
      schema: {
        summary: 'Live events as Server-Sent Events',
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
      const bad = topics.find((topic) => !TOPIC.test(topic));
      if (bad !== undefined || topics.length === 0 || topics.length > 32) {
        throw new CoreError(
          'invalid_request',
          'bad_request',
          'topics must be 1–32 comma-separated topic names',
        );
      }
      // principal is set by requireUser above
      await deps.events.authorize(request.principal!, topics);

      const stream = deps.sse.open(reply);
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' ? header : request.query.lastEventId;
      if (typeof lastEventId === 'string') {
        for (const event of deps.events.replay(topics, lastEventId)) {
          stream.send({ id: event.id, event: event.type, data: event });
        }
      }
      const unsubscribe = deps.events.subscribe(topics, (event) => {
        stream.send({ id: event.id, event: event.type, data: event });
      });
      stream.onClose(unsubscribe);
      return reply;
    },
  );
}
