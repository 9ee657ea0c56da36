// The gateway's HTTP routes (`/api/v1/bus/gateway`): the account's session (cookie or bearer) like the rest
// of the API, 401 without one; every room route answers a non-member 403, as for a room that does not exist.

import { type AuthGuards, type HttpApp, Type } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { BusError } from '../errors.js';
import { MAX_ATTACHMENT_BYTES } from './attachments.js';
import { GatewayError } from './errors.js';
import type { Gateway } from './gateway.js';
import type { GatewayAccount } from './identities.js';

const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});
const ERRORS = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const tags = ['bus gateway'];

// Malformed room ids are left to the membership check: they get the same 403 as someone else's room.
const RoomParams = Type.Object({ roomId: Type.String({ maxLength: 64 }) });
const MemberParams = Type.Object({
  roomId: Type.String({ maxLength: 64 }),
  signPub: Type.String({ maxLength: 128 }),
});
// The attachment id (~140 characters) is longer than a path parameter may be (100): it is the route's tail.
const AttachmentParams = Type.Object({
  roomId: Type.String({ maxLength: 64 }),
  '*': Type.String({ maxLength: 200 }),
});
const Ulid = Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' });

const Policy = Type.Object({ encrypted: Type.Boolean(), persisted: Type.Boolean(), signed: Type.Boolean() });
const GatewayRoom = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  policy: Policy,
  history: Type.String(),
  epoch: Type.Integer(),
  myRole: Type.String(),
  unread: Type.Integer({ description: 'Messages of others after the read marker; 99 means 99 or more' }),
  lastMessageAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
const Member = Type.Object({
  signPub: Type.String(),
  handle: Type.String(),
  role: Type.String(),
  status: Type.String(),
});
const Attachment = Type.Object({
  id: Type.String({ maxLength: 200 }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  size: Type.Integer({ minimum: 0 }),
  type: Type.String({ maxLength: 128 }),
});
const RoomMessage = Type.Object({
  id: Type.String(),
  sender: Type.String(),
  handle: Type.String(),
  body: Type.String(),
  ts: Type.Integer({
    description:
      'When the bus took it, epoch ms (store time; arrival in an ephemeral room), not the sender’s clock',
  }),
  mine: Type.Boolean(),
  attachment: Type.Optional(Attachment),
});

export function registerGatewayRoutes(app: HttpApp, options: { gateway: Gateway; auth: AuthGuards }): void {
  const { gateway, auth } = options;
  const preHandler = auth.requireUser;

  const accountOf = (request: FastifyRequest): GatewayAccount => {
    const principal = request.principal;
    if (principal?.kind !== 'user') throw new BusError('bus_unauthorized', 'Sign in first');
    return { userId: principal.userId, username: principal.username };
  };

  // Streams are taken over from Fastify (hijacked): end them before the server waits for its connections.
  app.addHook('preClose', (done) => {
    gateway.streams.close();
    done();
  });

  app.get(
    '/me',
    {
      preHandler,
      schema: {
        tags,
        summary: 'The bus identity the server holds for the signed-in account (made on first use)',
        response: {
          200: Type.Object({ signPub: Type.String(), endpointId: Type.String(), handle: Type.String() }),
          ...ERRORS,
        },
      },
    },
    async (request) => gateway.rooms.me(accountOf(request)),
  );

  app.get(
    '/rooms',
    {
      preHandler,
      schema: {
        tags,
        summary: 'The rooms the account is in, with unread counts',
        response: { 200: Type.Array(GatewayRoom), ...ERRORS },
      },
    },
    async (request) => gateway.rooms.list(accountOf(request)),
  );

  app.post(
    '/rooms',
    {
      preHandler,
      schema: {
        tags,
        summary:
          'Creates a room owned by the account (encrypted, persisted and signed unless told otherwise)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            policy: Type.Optional(
              Type.Object(
                {
                  encrypted: Type.Optional(Type.Boolean()),
                  persisted: Type.Optional(Type.Boolean()),
                  signed: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
            ),
            history: Type.Optional(Type.Union([Type.Literal('shared'), Type.Literal('joined')])),
          },
          { additionalProperties: false },
        ),
        response: { 201: GatewayRoom, ...ERRORS, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const room = await gateway.rooms.create(accountOf(request), request.body);
      reply.code(201);
      return room;
    },
  );

  app.get(
    '/rooms/:roomId',
    {
      preHandler,
      schema: {
        tags,
        summary: 'A room with its members (members only)',
        params: RoomParams,
        response: {
          200: Type.Intersect([GatewayRoom, Type.Object({ members: Type.Array(Member) })]),
          ...ERRORS,
        },
      },
    },
    async (request) => gateway.rooms.detail(accountOf(request), request.params.roomId),
  );

  app.post(
    '/rooms/:roomId/members',
    {
      preHandler,
      schema: {
        tags,
        summary:
          'Invites a Homeport account by username (owner or bus admin); its bus identity is made if needed',
        params: RoomParams,
        body: Type.Object(
          { username: Type.String({ minLength: 1, maxLength: 128 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Member), ...ERRORS, 422: ErrorBody },
      },
    },
    async (request) => gateway.rooms.invite(accountOf(request), request.params.roomId, request.body.username),
  );

  app.post(
    '/rooms/:roomId/members/:signPub/remove',
    {
      preHandler,
      schema: {
        tags,
        summary:
          'Removes a member and starts the next epoch with keys for everyone else (owner or bus admin)',
        params: MemberParams,
        response: { 204: Type.Null(), ...ERRORS, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const signPub = request.params.signPub.toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(signPub)) {
        // Still only a member may learn that the key is malformed.
        await gateway.rooms.detail(account, request.params.roomId);
        throw new BusError('bus_bad_request', 'signPub must be 64 hex characters');
      }
      await gateway.rooms.remove(account, request.params.roomId, signPub);
      reply.code(204);
    },
  );

  app.get(
    '/rooms/:roomId/messages',
    {
      preHandler,
      schema: {
        tags,
        summary:
          'Scrollback, oldest first: a persisted room from its stream, an ephemeral one from what the gateway saw',
        params: RoomParams,
        querystring: Type.Object({
          before: Type.Optional(Ulid),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: { 200: Type.Array(RoomMessage), ...ERRORS },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return gateway.messages.list(accountOf(request), request.params.roomId, {
        before: request.query.before,
        limit: request.query.limit ?? 50,
      });
    },
  );

  app.post(
    '/rooms/:roomId/messages',
    {
      preHandler,
      schema: {
        tags,
        summary:
          'Sends a message, sealed and signed with the account’s identity; it arrives on the stream with this id',
        params: RoomParams,
        body: Type.Object(
          { body: Type.String({ maxLength: 65_536 }), attachment: Type.Optional(Attachment) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ id: Type.String() }), ...ERRORS, 413: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { body, attachment } = request.body;
      if (body.trim() === '' && attachment === undefined)
        throw new BusError('bus_bad_request', 'A message needs text or an attachment');
      const sent = await gateway.messages.send(accountOf(request), request.params.roomId, {
        body,
        attachment,
      });
      reply.code(202);
      return sent;
    },
  );

  app.post(
    '/rooms/:roomId/read',
    {
      preHandler,
      schema: {
        tags,
        summary: 'Marks the room read up to a message',
        params: RoomParams,
        body: Type.Object({ upTo: Ulid }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...ERRORS },
      },
    },
    async (request, reply) => {
      await gateway.messages.markRead(accountOf(request), request.params.roomId, request.body.upTo);
      reply.code(204);
    },
  );

  app.post(
    '/rooms/:roomId/attachments',
    {
      // Session, membership and the room's blob quota before a byte of the body is read: only a member may make
      // us read 16 MiB, and not into a room that is full.
      onRequest: async (request, reply) => {
        await auth.requireUser(request, reply);
        await gateway.rooms.viewer(accountOf(request), request.params.roomId);
        const declared = Number(request.headers['content-length']);
        // Without a declared length (chunked) the quota is checked once the body is read.
        if (Number.isSafeInteger(declared) && declared > 0)
          await gateway.attachments.admit(accountOf(request), request.params.roomId, declared);
      },
      // Refused from the declared length before a byte is read (the core server's onRequest check).
      bodyLimit: MAX_ATTACHMENT_BYTES,
      schema: {
        tags,
        summary: `Uploads a file for the room (application/octet-stream, at most ${MAX_ATTACHMENT_BYTES} bytes, name in X-File-Name percent-encoded); encrypted with the room key`,
        params: RoomParams,
        response: { 201: Attachment, ...ERRORS, 413: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const account = accountOf(request);
      const body = request.body;
      if (!Buffer.isBuffer(body))
        throw new GatewayError('gateway_bad_attachment', 'Send the file as application/octet-stream');
      const header = request.headers['x-file-name'];
      let name = 'file';
      if (typeof header === 'string' && header !== '') {
        try {
          name = decodeURIComponent(header);
        } catch (error) {
          throw new GatewayError('gateway_bad_attachment', 'X-File-Name must be percent-encoded UTF-8', {
            cause: error,
          });
        }
      }
      const type = request.headers['x-file-type'];
      const stored = await gateway.attachments.put(account, request.params.roomId, body, {
        name,
        type: typeof type === 'string' ? type : undefined,
      });
      reply.code(201);
      return stored;
    },
  );

  app.get(
    '/rooms/:roomId/attachments/*',
    {
      preHandler,
      schema: {
        tags,
        summary: 'An attachment of the room, decrypted, as bytes to save (members)',
        params: AttachmentParams,
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }),
          ...ERRORS,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const bytes = await gateway.attachments.get(
        accountOf(request),
        request.params.roomId,
        request.params['*'],
      );
      // Never rendered or run by a browser, whatever the bytes are: saved as a file.
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', 'attachment')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store');
      return reply.send(Buffer.from(bytes));
    },
  );

  app.get(
    '/rooms/:roomId/stream',
    {
      preHandler,
      schema: {
        tags,
        summary: 'The room live (Server-Sent Events): `message` events (id = frame id) and `state` events',
        description:
          'Resumes after Last-Event-ID (the persisted history, then live, no duplicates). Ends when the session ' +
          'ends, the account is disabled or its identity revoked, or the account is removed from the room ' +
          '(`state: removed` first). 429 past the stream caps.',
        params: RoomParams,
        response: { 200: Type.String({ description: 'text/event-stream' }), ...ERRORS, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.kind !== 'user') throw new BusError('bus_unauthorized', 'Sign in first');
      const account = { userId: principal.userId, username: principal.username };
      const viewer = await gateway.rooms.viewer(account, request.params.roomId);
      gateway.streams.admit(principal.userId);
      const header = request.headers['last-event-id'];
      const lastEventId =
        typeof header === 'string' && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(header) ? header : undefined;
      await gateway.streams.open({ reply, principal, viewer, roomId: request.params.roomId, lastEventId });
      return reply;
    },
  );
}
