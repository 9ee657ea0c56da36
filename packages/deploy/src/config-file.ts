// The deploy configuration as one YAML document: every project with its stages' configuration, exported
// from the store and imported back (projects and stages created or updated by name). Export → import →
// export gives the same document. Secret values are left out unless asked for; an import that leaves a
// secret's value out keeps the stored one.

import { Nullable, Type } from '@homeport/core';
import { Compile } from 'typebox/compile';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DeployError } from './errors.js';
import type { ProjectRecord, StageConfig, StageRecord } from './model.js';
import {
  CreateProject,
  RegistryPassword,
  RegistryUsername,
  Slug,
  StageConfigInput,
} from './routes/schemas.js';
import { envSecretName, registrySecretName, type SecretBox } from './secrets.js';
import type { DeployService } from './service.js';
import type { StageConfigInputBody } from './stage-config.js';
import type { DeployStore } from './store/repositories.js';

export const CONFIG_FILE_VERSION = 1;
/** A document this size is far past any real configuration (and YAML aliases could expand it). */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

const ConfigDocument = Compile(
  Type.Object(
    {
      version: Type.Literal(CONFIG_FILE_VERSION),
      projects: Type.Array(
        Type.Object(
          {
            ...Type.Omit(CreateProject, ['registryAuth']).properties,
            // The password is optional here: an export without secrets leaves it out.
            registryAuth: Type.Optional(
              Nullable(
                Type.Object(
                  {
                    username: RegistryUsername,
                    password: Type.Optional(RegistryPassword),
                  },
                  { additionalProperties: false },
                ),
              ),
            ),
            stages: Type.Optional(
              Type.Array(
                Type.Object({ name: Slug, config: StageConfigInput }, { additionalProperties: false }),
                {
                  maxItems: 100,
                },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    },
    { additionalProperties: false },
  ),
);

function stageDocument(
  stage: StageRecord,
  box: SecretBox,
  withSecrets: boolean,
): { name: string; config: Record<string, unknown> } {
  const config: StageConfig = stage.config;
  return {
    name: stage.name,
    config: {
      ...config,
      env: config.env.map((v) =>
        v.secret
          ? withSecrets
            ? { name: v.name, value: box.open(envSecretName(stage.id, v.name), v.sealed), secret: true }
            : { name: v.name, secret: true }
          : { name: v.name, value: v.value },
      ),
    },
  };
}

function projectDocument(
  project: ProjectRecord,
  stages: StageRecord[],
  box: SecretBox,
  withSecrets: boolean,
) {
  return {
    name: project.name,
    description: project.description,
    pollIntervalMs: project.pollIntervalMs,
    ...(project.registryAuth
      ? {
          registryAuth: {
            username: project.registryAuth.username,
            ...(withSecrets
              ? { password: box.open(registrySecretName(project.id), project.registryAuth.sealedPassword) }
              : {}),
          },
        }
      : {}),
    stages: stages.map((s) => stageDocument(s, box, withSecrets)),
  };
}

/** The whole configuration as YAML (secret values only when `withSecrets`). */
export async function exportConfig(
  store: DeployStore,
  box: SecretBox,
  withSecrets: boolean,
): Promise<string> {
  const projects = await store.projects.list();
  const documents = [];
  for (const project of projects)
    documents.push(projectDocument(project, await store.stages.list(project.id), box, withSecrets));
  const header = withSecrets
    ? '# Homeport deploy configuration — CONTAINS SECRET VALUES: keep this file private.\n'
    : '# Homeport deploy configuration (secret values left out: an import keeps the stored ones).\n';
  return header + stringifyYaml({ version: CONFIG_FILE_VERSION, projects: documents }, { lineWidth: 0 });
}

export interface ImportReport {
  projects: { name: string; action: 'created' | 'updated' | 'unchanged' }[];
  stages: {
    project: string;
    name: string;
    action: 'created' | 'updated' | 'unchanged';
    warnings: string[];
  }[];
}

/** Parses and checks a document; every problem is a 400 with the path that is wrong. */
export function parseConfig(text: string) {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES)
    throw new DeployError('deploy_bad_request', `the configuration is larger than ${MAX_CONFIG_BYTES} bytes`);
  let raw: unknown;
  try {
    // maxAliasCount bounds the "billion laughs" expansion of YAML aliases.
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (cause) {
    throw new DeployError(
      'deploy_bad_request',
      `the configuration is not valid YAML: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (!ConfigDocument.Check(raw)) {
    const first = [...ConfigDocument.Errors(raw)][0];
    throw new DeployError(
      'deploy_bad_request',
      `the configuration does not fit the schema${first ? ` at ${first.instancePath || '/'}: ${first.message}` : ''}`,
    );
  }
  return raw;
}

/**
 * Before anything is written: every secret the document leaves without a value must be stored already
 * (a new project's registry password, a new stage's or new variable's secret), so an import from an export
 * without secrets into another Homeport fails whole, naming what is missing, instead of half-way.
 */
async function checkSecretsPresent(
  service: DeployService,
  document: ReturnType<typeof parseConfig>,
): Promise<void> {
  const missing: string[] = [];
  const projects = await service.listProjects();
  for (const entry of document.projects) {
    const existing = projects.find((p) => p.name === entry.name);
    if (entry.registryAuth && entry.registryAuth.password === undefined && !existing?.registryAuth)
      missing.push(`project ${entry.name}: registryAuth password`);
    for (const stage of entry.stages ?? []) {
      const stored = existing
        ? await service.getStage(entry.name, stage.name).then(
            (found) => found.stage,
            () => undefined,
          )
        : undefined;
      for (const variable of stage.config.env ?? []) {
        if (variable.value !== undefined) continue;
        const kept = stored?.config.env.find((v) => v.name === variable.name && v.secret);
        if (!kept) missing.push(`${entry.name}/${stage.name}: env ${variable.name} needs a value`);
      }
    }
  }
  if (missing.length > 0)
    throw new DeployError(
      'deploy_bad_request',
      `nothing was imported: ${missing.join('; ')} (export with secrets=true, or set them here first)`,
      { details: { missing } },
    );
}

/**
 * Creates or updates every project and stage of the document, by name; nothing is removed. A stage that
 * runs and whose configuration changed gets a configuration deploy, as an edit in the UI would.
 */
export async function importConfig(
  service: DeployService,
  text: string,
  actor: string | null,
): Promise<ImportReport> {
  const document = parseConfig(text);
  await checkSecretsPresent(service, document);
  const report: ImportReport = { projects: [], stages: [] };
  for (const entry of document.projects) {
    const { stages = [], name, ...settings } = entry;
    const existing = await service.listProjects().then((all) => all.find((p) => p.name === name));
    if (!existing) {
      const auth = settings.registryAuth;
      if (auth && auth.password === undefined)
        throw new DeployError(
          'deploy_bad_request',
          `project ${name}: registryAuth needs its password (export with secrets)`,
        );
      await service.createProject({
        name,
        ...(settings.description === undefined ? {} : { description: settings.description }),
        ...(settings.pollIntervalMs === undefined ? {} : { pollIntervalMs: settings.pollIntervalMs }),
        ...(auth ? { registryAuth: { username: auth.username, password: auth.password as string } } : {}),
      });
      report.projects.push({ name, action: 'created' });
    } else {
      const sameAuth =
        settings.registryAuth === undefined
          ? existing.registryAuth === null
          : settings.registryAuth?.username === existing.registryAuth?.username &&
            (settings.registryAuth as { password?: string } | null)?.password === undefined;
      const changed =
        (settings.description ?? '') !== existing.description ||
        (settings.pollIntervalMs ?? null) !== existing.pollIntervalMs ||
        !sameAuth;
      if (changed) {
        const auth = settings.registryAuth as { username: string; password?: string } | null | undefined;
        await service.updateProject(name, {
          description: settings.description ?? '',
          pollIntervalMs: settings.pollIntervalMs ?? null,
          // A username without a password keeps the stored password only when the username is unchanged.
          ...(auth === undefined
            ? { registryAuth: null }
            : auth === null || auth.password !== undefined
              ? { registryAuth: auth as { username: string; password: string } | null }
              : {}),
        });
      }
      report.projects.push({ name, action: changed ? 'updated' : 'unchanged' });
    }
    for (const stage of stages) {
      const config = stage.config as StageConfigInputBody;
      const current = await service
        .getStage(name, stage.name)
        .then((found) => found.stage)
        .catch((err: unknown) => {
          if (err instanceof DeployError && err.code === 'deploy_not_found') return undefined;
          throw err;
        });
      if (!current) {
        const { warnings } = await service.createStage(name, { name: stage.name, config });
        report.stages.push({ project: name, name: stage.name, action: 'created', warnings });
        continue;
      }
      const { stage: updated, warnings } = await service.updateStage(
        name,
        stage.name,
        { config, revision: current.configRevision },
        actor,
        { onlyIfChanged: true },
      );
      report.stages.push({
        project: name,
        name: stage.name,
        action: updated.configRevision === current.configRevision ? 'unchanged' : 'updated',
        warnings,
      });
    }
  }
  return report;
}
