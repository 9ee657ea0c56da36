// The stage form's values and their translation to and from the API: durations in seconds on screen and
// milliseconds on the wire, empty text for "none", and secrets that are never sent back — a stored secret
// left empty is sent without a value, which keeps it.
import type { Stage, StageConfigInput, Strategy, TagPattern } from './api/deploy-types';

export interface EnvRow {
  /** Local identity of the row (names can be edited). */
  key: string;
  name: string;
  value: string;
  secret: boolean;
  /** The server holds a value for this secret: an empty field keeps it. */
  storedSecret: boolean;
}

export interface VolumeRow {
  key: string;
  source: string;
  target: string;
  readOnly: boolean;
}

export interface StageFormValues {
  name: string;
  image: string;
  tagKind: TagPattern['kind'];
  tagValue: string;
  host: string;
  healthPath: string;
  healthStatus: number | string;
  healthIntervalSec: number | string;
  healthTimeoutSec: number | string;
  healthyThreshold: number | string;
  env: EnvRow[];
  volumes: VolumeRow[];
  strategy: Strategy;
  promoteFrom: string;
  autoDeploy: boolean;
  deployTimeoutSec: number | string;
  drainTimeoutSec: number | string;
  stopTimeoutSec: number | string;
  watchSec: number | string;
}

let rowCounter = 0;
export const newRowKey = (): string => {
  rowCounter += 1;
  return `row-${rowCounter}`;
};

export const emptyEnvRow = (): EnvRow => ({
  key: newRowKey(),
  name: '',
  value: '',
  secret: false,
  storedSecret: false,
});
export const emptyVolumeRow = (): VolumeRow => ({
  key: newRowKey(),
  source: '',
  target: '',
  readOnly: false,
});

/** A new stage's form: the server's defaults, so what is shown is what will run. */
export function newStageValues(): StageFormValues {
  return {
    name: '',
    image: '',
    tagKind: 'regex',
    tagValue: '.+',
    host: '',
    healthPath: '/',
    healthStatus: 200,
    healthIntervalSec: 1,
    healthTimeoutSec: 2,
    healthyThreshold: 2,
    env: [],
    volumes: [],
    strategy: 'blue-green',
    promoteFrom: '',
    autoDeploy: true,
    deployTimeoutSec: 300,
    drainTimeoutSec: 30,
    stopTimeoutSec: 10,
    watchSec: 10,
  };
}

export function stageValues(stage: Stage): StageFormValues {
  const c = stage.config;
  return {
    name: stage.name,
    image: c.image,
    tagKind: c.tagPattern.kind,
    tagValue: c.tagPattern.value,
    host: c.host ?? '',
    healthPath: c.health.path,
    healthStatus: c.health.expectedStatus,
    healthIntervalSec: c.health.intervalMs / 1000,
    healthTimeoutSec: c.health.timeoutMs / 1000,
    healthyThreshold: c.health.healthyThreshold,
    env: c.env.map((v) => ({
      key: newRowKey(),
      name: v.name,
      value: v.value ?? '',
      secret: v.secret,
      storedSecret: v.secret,
    })),
    volumes: c.volumes.map((v) => ({ key: newRowKey(), ...v })),
    strategy: c.strategy,
    promoteFrom: c.promoteFrom ?? '',
    autoDeploy: c.autoDeploy,
    deployTimeoutSec: c.deployTimeoutMs / 1000,
    drainTimeoutSec: c.drainTimeoutMs / 1000,
    stopTimeoutSec: c.stopTimeoutMs / 1000,
    watchSec: c.watchMs / 1000,
  };
}

export type StageFormErrors = Partial<
  Record<'name' | 'image' | 'tagValue' | 'env' | 'volumes' | 'numbers', string>
>;

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const num = (value: number | string): number => (typeof value === 'number' ? value : Number(value));

/** What a person must fix before sending; the server checks everything again. */
export function validateStage(values: StageFormValues, creating: boolean): StageFormErrors {
  const errors: StageFormErrors = {};
  if (creating && !SLUG.test(values.name))
    errors.name = 'Lower-case letters, digits and dashes, up to 40 characters (e.g. production)';
  if (values.image.trim() === '') errors.image = 'The image repository, e.g. registry.example.com/team/app';
  if (values.tagValue.trim() === '') errors.tagValue = 'A pattern tags must match, e.g. .+ or ^1\\.';
  const names = new Set<string>();
  for (const row of values.env) {
    if (!ENV_NAME.test(row.name)) {
      errors.env = `${row.name === '' ? 'An empty name' : row.name} is not a variable name (letters, digits, _)`;
      break;
    }
    if (names.has(row.name)) {
      errors.env = `${row.name} is given twice`;
      break;
    }
    names.add(row.name);
    if (row.value === '' && !row.storedSecret && row.secret) {
      errors.env = `${row.name} needs a value`;
      break;
    }
  }
  for (const row of values.volumes) {
    if (row.source.trim() === '' || !row.target.startsWith('/')) {
      errors.volumes = 'Each volume needs a source (a host path or volume name) and an absolute target path';
      break;
    }
  }
  const numbers = [
    values.healthStatus,
    values.healthIntervalSec,
    values.healthTimeoutSec,
    values.healthyThreshold,
    values.deployTimeoutSec,
    values.drainTimeoutSec,
    values.stopTimeoutSec,
    values.watchSec,
  ].map(num);
  if (numbers.some((n) => !Number.isFinite(n) || n < 0)) errors.numbers = 'Fill in every number';
  return errors;
}

/** The configuration to send. */
export function stageInput(values: StageFormValues): StageConfigInput {
  const ms = (seconds: number | string) => Math.round(num(seconds) * 1000);
  return {
    image: values.image.trim(),
    tagPattern: { kind: values.tagKind, value: values.tagValue.trim() },
    host: values.host.trim() === '' ? null : values.host.trim().toLowerCase(),
    health: {
      path: values.healthPath.trim() || '/',
      expectedStatus: num(values.healthStatus),
      intervalMs: ms(values.healthIntervalSec),
      timeoutMs: ms(values.healthTimeoutSec),
      healthyThreshold: num(values.healthyThreshold),
    },
    env: values.env.map((row) =>
      row.secret && row.storedSecret && row.value === ''
        ? { name: row.name, secret: true }
        : { name: row.name, value: row.value, secret: row.secret },
    ),
    volumes: values.volumes.map((row) => ({
      source: row.source.trim(),
      target: row.target.trim(),
      readOnly: row.readOnly,
    })),
    strategy: values.strategy,
    promoteFrom: values.promoteFrom === '' ? null : values.promoteFrom,
    autoDeploy: values.autoDeploy,
    deployTimeoutMs: ms(values.deployTimeoutSec),
    drainTimeoutMs: ms(values.drainTimeoutSec),
    stopTimeoutMs: ms(values.stopTimeoutSec),
    watchMs: ms(values.watchSec),
  };
}
