// The bus's HTTP routes under /api/v1/bus. Room and credential routes are signed by a bus identity; the
// allowlist takes a signed request from an active bus admin or a Homeport admin's session (Settings → Bus);
// an account's own identities take its session.

import { type AuthGuards, type HttpApp, Type, type UserDirectory } from '@homeport/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { endpointId, isSignPubHex } from '../../crypto/index.js';
import { BusError } from '../../errors.js';
import type { BusUserRecord } from '../../store/repositories.js';
import { MAX_BLOB_BYTES } from '../blobs.js';
import type { RequestAuth } from '../request-auth.js';
import type { BusService } from '../service.js';
import {
  AddBusUser,
  AddMember,
  BlobParams,
  BlobRef,
  BusStatus,
  BusUser,
  CreateRoom,
  Credential,
  CredentialRequest,
  ErrorBody,
  KeyQuery,
  Member,
  MemberParams,
  MyKey,
  RegisterOwnIdentity,
  Rekey,
  Room,
  RoomParams,
  RoomReservation,
  RoomWithMembers,
  SignPubParams,
} from './schemas.js';

export interface BusStatusView {
  auth: string;
  controlTls: boolean;
  busTls: boolean;
  busListen?: string;
  dataPlane: boolean;
  store: string;
  replicas: number;
}

export interface BusRouteOptions {
  service: BusService;
  requestAuth: RequestAuth;
  auth: AuthGuards;
  /** Accounts, so a device identity's handle cannot pose as another account's username. */
  users: UserDirectory;
  status: () => BusStatusView;
}

const userView = (user: BusUserRecord) => ({
  ...user,
  endpointId: endpointId(Buffer.from(user.signPub, 'hex')),
});

/**
 * What a handle reads as: compatibility forms folded (full-width letters), invisible characters and spaces
 * dropped, case ignored — so `ａｌｉｃｅ` or `alice\u200b` is `alice`. Look-alikes from other scripts are not
 * folded.
 */
const handleKey = (handle: string) =>
  handle
    .normalize('NFKC')
    .replace(/[\p{Default_Ignorable_Code_Point}\p{White_Space}]/gu, '')
    .toLowerCase();

function keyParam(value: string): string {
  if (!isSignPubHex(value)) throw new BusError('bus_bad_request', 'signPub must be 64 hex characters');
  return value.toLowerCase();
}

const SIGNED_ERRORS = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function registerBusRoutes(app: HttpApp, options: BusRouteOptions): void {
  const { service, requestAuth, auth } = options;

  // The signature covers the body's bytes as sent: keep them while parsing (bodies are capped by the core
  // server before a byte is read).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.busRawBody = raw;
    parseJson(request, raw.toString('utf8'), done);
  });

  // Blobs: opaque bytes (encrypted by the SDK), kept whole for the signature's body hash.
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: MAX_BLOB_BYTES },
    (request, body, done) => {
      request.busRawBody = body as Buffer;
      done(null, body);
    },
  );

  const signed = async (request: FastifyRequest) => {
    await requestAuth.signer(request);
  };
  const signerOf = (request: FastifyRequest): BusUserRecord => {
    if (!request.busSigner) throw new BusError('bus_unauthorized', 'This request must be signed');
    return request.busSigner.user;
  };

  /**
   * A signed request from an active bus admin, or a Homeport admin's session. Default deny: a signer that is
   * not an active admin, or a store that cannot say, is refused with 403.
   */
  const admin = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers['x-bus-signer'] === undefined) return auth.requireAdmin(request, reply);
    let signer: BusUserRecord;
    try {
      signer = (await requestAuth.signer(request)).user;
    } catch (error) {
      if (error instanceof BusError && error.code === 'bus_unauthorized') throw error;
      throw new BusError('bus_forbidden', 'Admin role required (the allowlist could not be read)', {
        cause: error,
      });
    }
    if (signer.role !== 'admin' || signer.status !== 'active')
      throw new BusError('bus_forbidden', 'Admin role required');
  };

  app.get(
    '/status',
    {
      schema: {
        tags: ['bus'],
        summary: 'How the bus is exposed: auth mode, TLS, data plane, store',
        response: { 200: BusStatus },
      },
    },
    async () => options.status(),
  );

  // --- allowlist ---------------------------------------------------------------------------------------------

  app.get(
    '/users',
    {
      preHandler: admin,
      schema: {
        tags: ['bus'],
        summary: 'The allowlist, revoked identities included (admin)',
        response: { 200: Type.Array(BusUser), ...SIGNED_ERRORS },
      },
    },
    async () => (await service.listUsers()).map(userView),
  );

  app.post(
    '/users',
    {
      preHandler: admin,
      schema: {
        tags: ['bus'],
        summary: 'Adds an identity to the allowlist (admin); 409 when the key is there already, unchanged',
        body: AddBusUser,
        response: { 201: BusUser, ...SIGNED_ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const user = await service.addUser({
        signPub: keyParam(body.signPub),
        kexPub: body.kexPub.toLowerCase(),
        handle: body.handle,
        role: body.role ?? 'member',
        userId: body.userId ?? null,
      });
      reply.code(201);
      return userView(user);
    },
  );

  app.post(
    '/users/:signPub/revoke',
    {
      preHandler: admin,
      schema: {
        tags: ['bus'],
        summary: 'Revokes an identity (admin): refused on both planes at once; the row stays, marked revoked',
        params: SignPubParams,
        response: { 200: BusUser, ...SIGNED_ERRORS },
      },
    },
    async (request) => userView(await service.revokeUser(keyParam(request.params.signPub))),
  );

  // --- an account's own identities (session) --------------------------------------------------------------

  const accountOf = (request: FastifyRequest): string => {
    const principal = request.principal;
    if (principal?.kind !== 'user') throw new BusError('bus_unauthorized', 'Sign in first');
    return principal.userId;
  };

  app.get(
    '/identities',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['bus'],
        summary: 'The bus identities (devices) the signed-in account owns',
        response: { 200: Type.Array(BusUser), 401: ErrorBody },
      },
    },
    async (request) => (await service.listOwnIdentities(accountOf(request))).map(userView),
  );

  app.post(
    '/identities',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['bus'],
        summary: 'Registers a device identity of the signed-in account (role member)',
        body: RegisterOwnIdentity,
        response: { 201: BusUser, 400: ErrorBody, 401: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const userId = accountOf(request);
      // Rooms show senders by handle: a member naming a device after someone else would speak as them.
      const key = handleKey(request.body.handle);
      if (key === '') throw new BusError('bus_bad_request', 'A handle needs a visible character');
      const account = await options.users.find(key);
      const taken =
        (account !== undefined && account.id !== userId) ||
        (await service.listUsers()).some(
          (identity) =>
            identity.status === 'active' && identity.userId !== userId && handleKey(identity.handle) === key,
        );
      if (taken)
        throw new BusError('bus_conflict', 'This handle names another account or another owner’s identity');
      const user = await service.addUser({
        signPub: keyParam(request.body.signPub),
        kexPub: request.body.kexPub.toLowerCase(),
        handle: request.body.handle,
        role: 'member',
        userId,
      });
      reply.code(201);
      return userView(user);
    },
  );

  app.post(
    '/identities/:signPub/revoke',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['bus'],
        summary: 'Revokes one of the signed-in account’s identities (a lost device)',
        params: SignPubParams,
        response: { 200: BusUser, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const signPub = keyParam(request.params.signPub);
      const own = await service.listOwnIdentities(accountOf(request));
      if (!own.some((identity) => identity.signPub === signPub && identity.status === 'active'))
        throw new BusError('bus_not_found', 'No active identity of yours with this key');
      return userView(await service.revokeUser(signPub));
    },
  );

  // --- rooms (signed) -------------------------------------------------------------------------------------

  app.post(
    '/rooms',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'Creates a room; the server assigns its id and subject (bus.room.<id>)',
        body: CreateRoom,
        response: { 201: Room, ...SIGNED_ERRORS, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const room = await service.createRoom(signerOf(request), request.body);
      reply.code(201);
      return room;
    },
  );

  app.post(
    '/rooms/reserve',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'Reserves a room id (10 minutes) so the creator can seal the first room key to it',
        response: { 200: RoomReservation, ...SIGNED_ERRORS },
      },
    },
    async (request) => service.reserveRoom(signerOf(request)),
  );

  app.get(
    '/directory/:signPub',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: "An active identity's public keys and handle, to invite it",
        params: SignPubParams,
        response: { 200: BusUser, ...SIGNED_ERRORS },
      },
    },
    async (request) => userView(await service.lookup(keyParam(request.params.signPub))),
  );

  app.get(
    '/rooms',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'Rooms the signer is a member of',
        response: { 200: Type.Array(Room), ...SIGNED_ERRORS },
      },
    },
    async (request) => service.listRooms(signerOf(request)),
  );

  app.get(
    '/rooms/:roomId',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'A room with its members (members only)',
        params: RoomParams,
        response: { 200: RoomWithMembers, ...SIGNED_ERRORS },
      },
    },
    async (request) => service.getRoom(signerOf(request), request.params.roomId),
  );

  app.delete(
    '/rooms/:roomId',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'Deletes a room and its history (owner or admin)',
        params: RoomParams,
        response: { 204: Type.Null(), ...SIGNED_ERRORS },
      },
    },
    async (request, reply) => {
      await service.deleteRoom(signerOf(request), request.params.roomId);
      reply.code(204);
    },
  );

  app.post(
    '/rooms/:roomId/members',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'Invites an identity with the room keys sealed to it (owner or admin)',
        params: RoomParams,
        body: AddMember,
        response: { 200: Type.Array(Member), ...SIGNED_ERRORS, 422: ErrorBody },
      },
    },
    async (request) =>
      service.addMember(signerOf(request), request.params.roomId, {
        signPub: keyParam(request.body.signPub),
        sealedKeys: request.body.sealedKeys,
      }),
  );

  app.post(
    '/rooms/:roomId/members/:signPub/remove',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary:
          'Removes a member and starts the next epoch with keys for the others, in one step (owner or admin)',
        params: MemberParams,
        body: Rekey,
        response: { 200: Room, ...SIGNED_ERRORS, 422: ErrorBody },
      },
    },
    async (request) =>
      service.removeMember(
        signerOf(request),
        request.params.roomId,
        keyParam(request.params.signPub),
        request.body,
      ),
  );

  app.post(
    '/rooms/:roomId/rekey',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'Starts the next epoch with a key sealed to every member (any member)',
        params: RoomParams,
        body: Rekey,
        response: { 200: Room, ...SIGNED_ERRORS, 422: ErrorBody },
      },
    },
    async (request) => service.rekey(signerOf(request), request.params.roomId, request.body),
  );

  app.get(
    '/rooms/:roomId/keys/mine',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: "The signer's sealed room key for an epoch (the current one by default)",
        params: RoomParams,
        querystring: KeyQuery,
        response: { 200: MyKey, ...SIGNED_ERRORS },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.myKey(signerOf(request), request.params.roomId, request.query.epoch);
    },
  );

  // --- blobs ----------------------------------------------------------------------------------------------

  app.put(
    '/rooms/:roomId/blobs',
    {
      preHandler: signed,
      bodyLimit: MAX_BLOB_BYTES,
      schema: {
        tags: ['bus'],
        summary:
          'Stores an encrypted attachment for a room (application/octet-stream, at most 16 MiB; members)',
        params: RoomParams,
        response: { 201: BlobRef, ...SIGNED_ERRORS, 413: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body))
        throw new BusError('bus_bad_request', 'Send the blob as application/octet-stream');
      const stored = await service.putBlob(signerOf(request), request.params.roomId, body);
      reply.code(201);
      return stored;
    },
  );

  app.get(
    '/rooms/:roomId/blobs/:hash',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary: 'An attachment of the room (members), as opaque bytes',
        params: BlobParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...SIGNED_ERRORS },
      },
    },
    async (request, reply) => {
      const bytes = await service.getBlob(signerOf(request), request.params.roomId, request.params.hash);
      // Never rendered by a browser: bytes to save, not content to run.
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', 'attachment')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store');
      return reply.send(Buffer.from(bytes));
    },
  );

  // --- data plane -----------------------------------------------------------------------------------------

  app.post(
    '/credentials',
    {
      preHandler: signed,
      schema: {
        tags: ['bus'],
        summary:
          "A short-lived NATS user JWT for the client's own key (U…), allowing exactly the signer's rooms and inbox",
        body: CredentialRequest,
        response: { 200: Credential, ...SIGNED_ERRORS, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.issueCredential(signerOf(request), request.body.natsPub);
    },
  );
}
