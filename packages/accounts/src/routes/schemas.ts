// Request and response schemas of the accounts routes (validated by Fastify, published in the OpenAPI document).

import { Nullable, Type } from '@homeport/core';
import {
  PASSWORD_MAX_BYTES,
  PASSWORD_RULE_TEXT,
  USERNAME_CHARACTERS,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  USERNAME_RULE_TEXT,
} from '../rules.js';

export const Username = Type.String({
  minLength: USERNAME_MIN_LENGTH,
  maxLength: USERNAME_MAX_LENGTH,
  pattern: USERNAME_CHARACTERS,
  description: `${USERNAME_RULE_TEXT}; unique ignoring case`,
});
// Byte length is checked after parsing (rules.ts); characters bound it loosely here.
export const Password = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_BYTES,
  description: PASSWORD_RULE_TEXT,
});
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

export const SessionProbe = Type.Object({
  user: Type.Union([User, Type.Null()], { description: 'null when nobody is signed in' }),
});

export const PasswordChange = Type.Object(
  {
    currentPassword: Password,
    newPassword: Password,
    keepApiTokens: Type.Optional(
      Type.Boolean({ description: 'Keep my API tokens (by default a new password ends them)' }),
    ),
  },
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
    // A type list, not anyOf: with anyOf Fastify's coercion turned 0, false and "" into null ("never").
    // Bodies are also validated without coercion (core body-validation.ts), so "1" is refused too.
    expiresInDays: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 1,
          maximum: 3650,
          description:
            'Days until the token expires; left out: the server default (HOMEPORT_API_TOKEN_TTL, 90 days); null: never',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const NewUser = Type.Object(
  { username: Username, password: Password, role: Type.Optional(RoleSchema) },
  { additionalProperties: false },
);
export const UserPatch = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    status: Type.Optional(StatusSchema),
    password: Type.Optional(Password),
    keepApiTokens: Type.Optional(
      Type.Boolean({
        description:
          "With a new password: keep the user's API tokens (by default a password reset ends them)",
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const NoContent = Type.Null({ description: 'No content' });
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});

export const Identity = Type.Object({
  id: Type.String(),
  issuer: Type.String(),
  subject: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()], { description: 'Username or email at the provider' }),
  email: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastLoginAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** A user as the admin list shows them: plus how they sign in. */
export const AdminUser = Type.Object({
  ...User.properties,
  signIn: Type.Object({
    password: Type.Boolean({ description: 'Has a password (local sign-in)' }),
    identities: Type.Array(Identity, { description: 'Linked OpenID provider accounts' }),
  }),
});

export const IdentityParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  identityId: Type.String({ minLength: 1, maxLength: 64 }),
});

const StringList = (description: string) =>
  Type.Array(Type.String({ maxLength: 253 }), { maxItems: 100, description });
const UnknownUsers = Type.Union([Type.Literal('create'), Type.Literal('refuse')], {
  description: 'A first sign-in with no linked account: create a member, or refuse',
});

export const AuthSettingsView = Type.Object({
  localLoginEnabled: Type.Boolean(),
  registrationEnabled: Type.Boolean({
    description: 'Anyone may create a member account at /register (only while password sign-in is on)',
  }),
  oidc: Type.Object({
    enabled: Type.Boolean(),
    displayName: Type.Union([Type.String(), Type.Null()]),
    issuer: Type.Union([Type.String(), Type.Null()]),
    clientId: Type.Union([Type.String(), Type.Null()]),
    clientSecretSet: Type.Boolean({ description: 'The secret itself is never returned' }),
    scopes: Type.Array(Type.String()),
    usernameClaim: Type.String(),
    groupsClaim: Type.String(),
    allowedGroups: Type.Array(Type.String()),
    allowedEmailDomains: Type.Array(Type.String()),
    unknownUsers: UnknownUsers,
    redirectUri: Type.String({ description: 'Register this at the provider' }),
    postLogoutRedirectUri: Type.String({ description: 'Register this at the provider for logout' }),
  }),
  managed: Type.Array(
    Type.Object({
      field: Type.String({ description: 'e.g. oidc.issuer' }),
      source: Type.Union([Type.Literal('flag'), Type.Literal('env'), Type.Literal('file')]),
      name: Type.String({ description: 'The environment variable, or the key in the config file' }),
    }),
    { description: 'Fields set by flags, env or the config file; the page cannot change them' },
  ),
});

export const AuthSettingsUpdate = Type.Object(
  {
    localLoginEnabled: Type.Optional(Type.Boolean()),
    registrationEnabled: Type.Optional(Type.Boolean()),
    oidc: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          displayName: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          issuer: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
          clientId: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
          clientSecret: Type.Optional(
            Type.Union([Type.String({ maxLength: 1024 }), Type.Null()], {
              description: 'Write-only: a new secret, or null to remove it; leave it out to keep it',
            }),
          ),
          scopes: Type.Optional(StringList('Scopes to request; openid is always added')),
          usernameClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          groupsClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          allowedGroups: Type.Optional(StringList('Groups allowed in (empty: no group rule)')),
          allowedEmailDomains: Type.Optional(StringList('Email domains allowed in (empty: no domain rule)')),
          unknownUsers: Type.Optional(UnknownUsers),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
