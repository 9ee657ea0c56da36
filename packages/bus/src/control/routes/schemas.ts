// Request and response schemas of the bus routes (`/api/v1/bus`).

import { Nullable, Type } from '@homeport/core';

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});

/** An Ed25519 or X25519 public key: 64 hex characters (either case; stored lower-case). */
export const KeyHex = Type.String({ pattern: '^[0-9A-Fa-f]{64}$' });
const Handle = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const RoomId = Type.String({ pattern: '^[a-z2-7]{20}$' });
/** A room key sealed with HPKE: base64url of enc (32 bytes) and ciphertext (48 bytes). */
const Sealed = Type.String({ pattern: '^[A-Za-z0-9_-]{107}$' });
const Epoch = Type.Integer({ minimum: 1, maximum: 2 ** 31 });

export const BusRoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member')]);

export const BusUser = Type.Object({
  signPub: Type.String(),
  kexPub: Type.String(),
  endpointId: Type.String(),
  handle: Type.String(),
  role: BusRoleSchema,
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  userId: Nullable(Type.String()),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
});

export const AddBusUser = Type.Object(
  {
    signPub: KeyHex,
    kexPub: KeyHex,
    handle: Handle,
    role: Type.Optional(BusRoleSchema),
    /** The Homeport account that owns the identity (admins only). */
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const RegisterOwnIdentity = Type.Object(
  { signPub: KeyHex, kexPub: KeyHex, handle: Handle },
  { additionalProperties: false },
);

export const SignPubParams = Type.Object({ signPub: Type.String({ maxLength: 128 }) });
export const RoomParams = Type.Object({ roomId: RoomId });
export const MemberParams = Type.Object({ roomId: RoomId, signPub: Type.String({ maxLength: 128 }) });

const Policy = Type.Object(
  {
    encrypted: Type.Optional(Type.Boolean()),
    persisted: Type.Optional(Type.Boolean()),
    signed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const Rotation = Type.Object(
  {
    maxAgeMs: Type.Optional(Nullable(Type.Integer({ minimum: 60_000 }))),
    maxMessages: Type.Optional(Nullable(Type.Integer({ minimum: 100, maximum: 2 ** 31 }))),
  },
  { additionalProperties: false },
);
const Retention = Type.Object(
  {
    maxMessages: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 16 * 1024 ** 3 })),
    maxAgeMs: Type.Optional(Type.Integer({ minimum: 60_000, maximum: 10 * 365 * 24 * 3600 * 1000 })),
  },
  { additionalProperties: false },
);

export const CreateRoom = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    kind: Type.Optional(Type.Union([Type.Literal('chat'), Type.Literal('agent')])),
    policy: Type.Optional(Policy),
    history: Type.Optional(Type.Union([Type.Literal('shared'), Type.Literal('joined')])),
    rotation: Type.Optional(Rotation),
    retention: Type.Optional(Retention),
    sealedKey: Type.Optional(Sealed),
    roomId: Type.Optional(RoomId),
    reservation: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const RoomReservation = Type.Object({
  roomId: Type.String(),
  reservation: Type.String(),
  expiresAt: Type.String(),
});

export const Room = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  subject: Type.String(),
  policy: Type.Object({ encrypted: Type.Boolean(), persisted: Type.Boolean(), signed: Type.Boolean() }),
  rotation: Type.Object({ maxAgeMs: Nullable(Type.Number()), maxMessages: Nullable(Type.Number()) }),
  history: Type.String(),
  retention: Type.Object({ maxMessages: Type.Number(), maxBytes: Type.Number(), maxAgeMs: Type.Number() }),
  ownerSignPub: Type.String(),
  epoch: Type.Integer(),
  epochStartedAt: Type.String(),
  createdAt: Type.String(),
  myRole: Type.String(),
  rekeyDue: Type.Boolean(),
});

export const Member = Type.Object({
  signPub: Type.String(),
  endpointId: Type.String(),
  kexPub: Type.String(),
  handle: Type.String(),
  role: Type.String(),
  status: Type.String(),
  joinedEpoch: Type.Integer(),
  addedAt: Type.String(),
});

export const RoomWithMembers = Type.Object({ ...Room.properties, members: Type.Array(Member) });

export const AddMember = Type.Object(
  {
    signPub: KeyHex,
    sealedKeys: Type.Array(Type.Object({ epoch: Epoch, sealed: Sealed }, { additionalProperties: false }), {
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
);

export const Rekey = Type.Object(
  {
    /** The epoch the caller read; the new one is this plus one. */
    epoch: Epoch,
    sealedKeys: Type.Array(
      Type.Object({ signPub: KeyHex, sealed: Sealed }, { additionalProperties: false }),
      {
        maxItems: 1000,
      },
    ),
  },
  { additionalProperties: false },
);

export const KeyQuery = Type.Object({ epoch: Type.Optional(Epoch) });
export const MyKey = Type.Object({
  epoch: Type.Integer(),
  sealed: Type.String(),
  sealedBy: Type.String(),
  epochs: Type.Array(Type.Integer()),
});

export const CredentialRequest = Type.Object(
  { natsPub: Type.String({ pattern: '^U[A-Z2-7]{55}$' }) },
  { additionalProperties: false },
);
export const Credential = Type.Object({
  jwt: Type.String(),
  expiresAt: Type.String(),
  servers: Type.Array(Type.String()),
  /** PEM CA of the member listener for the SDK to pin (the generated bus CA); absent without TLS or a public CA. */
  ca: Type.Optional(Type.String()),
  inboxPrefix: Type.String(),
  controlSubject: Type.String(),
  rooms: Type.Array(Type.String()),
});

export const BusStatus = Type.Object({
  auth: Type.String(),
  controlTls: Type.Boolean(),
  busTls: Type.Boolean(),
  /** HOMEPORT_BUS_LISTEN as the server listens; absent when members use the loopback port. */
  busListen: Type.Optional(Type.String()),
  dataPlane: Type.Boolean(),
  store: Type.String(),
  replicas: Type.Integer(),
});

export const BlobParams = Type.Object({ roomId: RoomId, hash: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
export const BlobRef = Type.Object({ hash: Type.String(), size: Type.Integer() });
