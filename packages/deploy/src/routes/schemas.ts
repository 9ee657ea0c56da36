// Request and response schemas of the deploy routes (`/api/v1/deploy`). Names, hosts, images, env keys and
// argv elements are checked here, at the edge, before anything reaches the store or Docker.

import { Nullable, Type } from '@homeport/core';

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
});

/** Project and stage names: DNS-label-like slugs (they appear in container names and labels). */
export const Slug = Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$' });
/** A registry host (optional port) and a repository path in the distribution grammar. */
export const ImageRepository = Type.String({
  maxLength: 255,
  pattern:
    '^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$',
});
export const Tag = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' });
export const Digest = Type.String({ pattern: '^sha256:[0-9a-f]{64}$' });
export const HostName = Type.String({
  maxLength: 253,
  pattern: '^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$',
});
export const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' });
const NoNul = '^[^\\u0000]*$';

export const EnvVarInput = Type.Object(
  {
    name: EnvName,
    /** Required for a new variable; for a secret already stored, leaving it out keeps the stored value. */
    value: Type.Optional(Type.String({ maxLength: 32_768, pattern: NoNul })),
    secret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const EnvVarView = Type.Object({
  name: Type.String(),
  /** null for a secret: write-only. */
  value: Nullable(Type.String()),
  secret: Type.Boolean(),
});

const Volume = Type.Object(
  {
    source: Type.String({
      minLength: 1,
      maxLength: 4096,
      pattern: '^(/[^\\u0000:]*|[a-zA-Z0-9][a-zA-Z0-9_.-]*)$',
    }),
    target: Type.String({ minLength: 2, maxLength: 4096, pattern: '^/[^\\u0000:]*$' }),
    readOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const HealthInput = Type.Object(
  {
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^/[\\x21-\\x7e]*$' })),
    expectedStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    port: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
    host: Type.Optional(Nullable(HostName)),
    intervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
    healthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    startPeriodMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);

/** A stage's configuration as sent: every field but `image` optional (defaults, or the stored value on update). */
export const StageConfigInput = Type.Object(
  {
    image: Type.Optional(ImageRepository),
    tagPattern: Type.Optional(
      Type.Object(
        {
          kind: Type.Union([Type.Literal('regex'), Type.Literal('semver')]),
          value: Type.String({ minLength: 1, maxLength: 256 }),
        },
        { additionalProperties: false },
      ),
    ),
    port: Type.Optional(
      Type.Object(
        {
          env: Type.Optional(EnvName),
          container: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
        },
        { additionalProperties: false },
      ),
    ),
    command: Type.Optional(
      Nullable(Type.Array(Type.String({ maxLength: 4096, pattern: NoNul }), { minItems: 1, maxItems: 256 })),
    ),
    env: Type.Optional(Type.Array(EnvVarInput, { maxItems: 500 })),
    volumes: Type.Optional(Type.Array(Volume, { maxItems: 50 })),
    resources: Type.Optional(
      Type.Object(
        {
          memoryBytes: Type.Optional(Nullable(Type.Integer({ minimum: 6 * 1024 * 1024 }))),
          cpus: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1024 }))),
          pidsLimit: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 4_194_304 }))),
        },
        { additionalProperties: false },
      ),
    ),
    restartPolicy: Type.Optional(
      Type.Union([Type.Literal('no'), Type.Literal('on-failure'), Type.Literal('unless-stopped')]),
    ),
    health: Type.Optional(HealthInput),
    deployTimeoutMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 3_600_000 })),
    drainTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    stopTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    watchMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    graceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 24 * 3_600_000 })),
    host: Type.Optional(Nullable(HostName)),
    strategy: Type.Optional(Type.Union([Type.Literal('blue-green'), Type.Literal('recreate')])),
    promoteFrom: Type.Optional(Nullable(Slug)),
    autoDeploy: Type.Optional(Type.Boolean()),
    keepReleases: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    node: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' }))),
  },
  { additionalProperties: false },
);

export const RegistryUsername = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^[^\\u0000-\\u001f:]+$',
});
export const RegistryPassword = Type.String({ minLength: 1, maxLength: 4096, pattern: NoNul });

export const CreateProject = Type.Object(
  {
    name: Slug,
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    registryAuth: Type.Optional(
      Nullable(
        Type.Object(
          {
            username: RegistryUsername,
            password: RegistryPassword,
          },
          { additionalProperties: false },
        ),
      ),
    ),
    pollIntervalMs: Type.Optional(Nullable(Type.Integer({ minimum: 10_000, maximum: 7 * 24 * 3_600_000 }))),
  },
  { additionalProperties: false },
);

export const UpdateProject = Type.Omit(CreateProject, ['name']);

export const CreateStage = Type.Object(
  { name: Slug, config: StageConfigInput },
  { additionalProperties: false },
);

export const UpdateStage = Type.Object(
  {
    config: StageConfigInput,
    /** The configRevision the change was made against (409 deploy_revision_conflict when it moved). */
    revision: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export const ProjectParams = Type.Object({ project: Slug });
export const StageParams = Type.Object({ project: Slug, stage: Slug });
export const DeployParams = Type.Object({ deployId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
export const ReleaseParams = Type.Object({ releaseId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

export const DeployRequest = Type.Object(
  { tag: Type.Optional(Tag), digest: Type.Optional(Digest) },
  { additionalProperties: false },
);
export const RollbackRequest = Type.Object(
  {
    releaseId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    digest: Type.Optional(Digest),
  },
  { additionalProperties: false },
);
export const PromoteRequest = Type.Object({ digest: Type.Optional(Digest) }, { additionalProperties: false });

export const LogQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

export const HistoryQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const Maintenance = Type.Object(
  { message: Nullable(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^\\u0000]*$' })) },
  { additionalProperties: false },
);
