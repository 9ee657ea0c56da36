// Request and response schemas of the accounts routes (validated by Fastify, published in the OpenAPI document).

import { Type } from '@homeport/core';

export const Username = Type.String({
  minLength: 3,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: '3–64 characters of A–Z, a–z, 0–9, _ and -; unique ignoring case',
});
// Byte length (8–1024) is checked after parsing; characters bound it loosely here.
export const Password = Type.String({ minLength: 1, maxLength: 1024, description: '8–1024 bytes' });
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
export const StatusSchema = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  status: StatusSchema,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const Credentials = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Password },
  { additionalProperties: false },
);
export const Registration = Type.Object(
  { username: Username, password: Password },
  { additionalProperties: false },
);

export const LoginResult = Type.Object({
  token: Type.String({ description: 'Session token; also set as the HttpOnly cookie homeport_session' }),
  user: User,
  expiresAt: Type.String({ format: 'date-time' }),
});

export const AuthConfig = Type.Object({
  registrationEnabled: Type.Boolean(),
  localLoginEnabled: Type.Boolean(),
  oidc: Type.Union([Type.Null(), Type.Object({ displayName: Type.String(), loginUrl: Type.String() })]),
});

export const Session = Type.Object({
  id: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});

export const ApiToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the token, to recognise it' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const NewApiToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);

export const NewUser = Type.Object(
  { username: Username, password: Password, role: Type.Optional(RoleSchema) },
  { additionalProperties: false },
);
export const UserPatch = Type.Object(
  { role: Type.Optional(RoleSchema), status: Type.Optional(StatusSchema), password: Type.Optional(Password) },
  { additionalProperties: false, minProperties: 1 },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const NoContent = Type.Null({ description: 'No content' });
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});
