// Deploys page logic without a browser: the stage form's translation (secrets write-only, seconds to ms),
// its checks, and how deploy records heard live are merged with loaded lists.
import { describe, expect, it } from 'vitest';
import type { DeployRecord, DeployStep, Stage } from '../src/pages/deploys/api/deploy-types';
import { formatUptime, shortDigest } from '../src/pages/deploys/deploy-format';
import { mergeDeploys, parseDeployChanged } from '../src/pages/deploys/live-deploys';
import { newStageValues, stageInput, stageValues, validateStage } from '../src/pages/deploys/stage-form';

const stage: Stage = {
  id: 's1',
  projectId: 'p1',
  name: 'production',
  configRevision: 3,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  config: {
    image: '127.0.0.1:5000/shop/web',
    tagPattern: { kind: 'semver', value: '^1' },
    port: { env: 'PORT', container: null },
    command: null,
    env: [
      { name: 'API_KEY', value: null, secret: true },
      { name: 'MODE', value: 'prod', secret: false },
    ],
    volumes: [{ source: 'data', target: '/data', readOnly: false }],
    resources: { memoryBytes: null, cpus: null, pidsLimit: null },
    restartPolicy: 'unless-stopped',
    health: {
      path: '/health',
      expectedStatus: 204,
      port: null,
      host: null,
      intervalMs: 250,
      timeoutMs: 2000,
      healthyThreshold: 3,
      unhealthyThreshold: 3,
      startPeriodMs: 0,
    },
    deployTimeoutMs: 60_000,
    drainTimeoutMs: 5_000,
    stopTimeoutMs: 2_000,
    watchMs: 1_500,
    graceMs: 3_600_000,
    host: 'shop.example.com',
    strategy: 'recreate',
    promoteFrom: 'staging',
    autoDeploy: false,
    keepReleases: 5,
    node: null,
  },
};

describe('stage form', () => {
  it('sends a stored secret left empty without a value, so the server keeps it', () => {
    const input = stageInput(stageValues(stage));
    expect(input.env).toEqual([
      { name: 'API_KEY', secret: true },
      { name: 'MODE', value: 'prod', secret: false },
    ]);
  });

  it('sends a new value for a stored secret when one is typed', () => {
    const values = stageValues(stage);
    const [secret] = values.env;
    if (!secret) throw new Error('no row');
    secret.value = 'rotated';
    expect(stageInput(values).env[0]).toEqual({ name: 'API_KEY', value: 'rotated', secret: true });
  });

  it('round-trips the edited fields, seconds on screen and milliseconds on the wire', () => {
    const input = stageInput(stageValues(stage));
    expect(input).toMatchObject({
      image: stage.config.image,
      tagPattern: { kind: 'semver', value: '^1' },
      host: 'shop.example.com',
      health: { path: '/health', expectedStatus: 204, intervalMs: 250, timeoutMs: 2000, healthyThreshold: 3 },
      volumes: [{ source: 'data', target: '/data', readOnly: false }],
      strategy: 'recreate',
      promoteFrom: 'staging',
      autoDeploy: false,
      deployTimeoutMs: 60_000,
      drainTimeoutMs: 5_000,
      stopTimeoutMs: 2_000,
      watchMs: 1_500,
    });
  });

  it('sends an empty host and promoteFrom as null', () => {
    const values = { ...newStageValues(), image: 'reg/app' };
    expect(stageInput(values)).toMatchObject({ host: null, promoteFrom: null });
  });

  it('asks for a slug name, an image, env names once each and a value for a new secret', () => {
    const values = newStageValues();
    values.name = 'Prod';
    values.env = [
      { key: 'a', name: 'X', value: '', secret: true, storedSecret: false },
      { key: 'b', name: 'X', value: '1', secret: false, storedSecret: false },
    ];
    const errors = validateStage(values, true);
    expect(errors.name).toMatch(/Lower-case/);
    expect(errors.image).toBeDefined();
    expect(errors.env).toBe('X needs a value');
    values.env = values.env.map((row) => ({ ...row, value: 'v' }));
    expect(validateStage(values, true).env).toBe('X is given twice');
    values.env = [{ key: 'c', name: '1BAD', value: 'v', secret: false, storedSecret: false }];
    expect(validateStage(values, true).env).toMatch(/not a variable name/);
    // Editing: the name is not asked for.
    expect(validateStage(stageValues(stage), false)).toEqual({});
  });
});

const record = (over: Partial<DeployRecord>): DeployRecord => ({
  id: 'd1',
  projectId: 'p1',
  stageId: 's1',
  seq: 1,
  trigger: 'manual',
  requestedBy: null,
  tag: 'v1',
  digest: null,
  releaseId: null,
  status: 'queued',
  steps: [],
  error: null,
  color: null,
  runner: null,
  cancelRequested: false,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: null,
  endedAt: null,
  ...over,
});

const step = (name: DeployStep['name'], status: 'running' | 'ok'): DeployStep => ({
  name,
  status,
  startedAt: '2026-01-01T00:00:00Z',
  endedAt: status === 'ok' ? '2026-01-01T00:00:01Z' : null,
  message: null,
});

describe('live deploy records', () => {
  it('keeps the copy further along whichever order a loaded list and an event arrive in', () => {
    const older = record({ status: 'running', steps: [step('resolve', 'running')] });
    const newer = record({ status: 'running', steps: [step('resolve', 'ok')] });
    const done = record({ status: 'succeeded', steps: [step('resolve', 'ok')] });
    expect(mergeDeploys([older], [newer])[0]).toBe(newer);
    expect(mergeDeploys([newer], [older])[0]).toBe(newer);
    expect(mergeDeploys([done], [older, newer])[0]).toBe(done);
  });

  it('lists the records newest first', () => {
    const merged = mergeDeploys(
      [record({ id: 'a', seq: 1 })],
      [record({ id: 'b', seq: 3 }), record({ id: 'c', seq: 2 })],
    );
    expect(merged.map((r) => r.seq)).toEqual([3, 2, 1]);
  });

  it('ignores event payloads that are not deploy records', () => {
    expect(parseDeployChanged(record({}))).toBeDefined();
    expect(parseDeployChanged({ id: 'x' })).toBeUndefined();
    expect(parseDeployChanged({ ...record({}), status: 'exploded' })).toBeUndefined();
    expect(parseDeployChanged('deploy')).toBeUndefined();
  });
});

describe('deploy formatting', () => {
  it('shortens a digest as Docker does and says how long a container is up', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('sha256:abababababab');
    expect(shortDigest(null)).toBe('—');
    expect(formatUptime(0, 42_000)).toBe('42 s');
    expect(formatUptime(0, 3 * 3_600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatUptime(0, 2 * 86_400_000 + 3_600_000)).toBe('2 d 1 h');
  });
});
