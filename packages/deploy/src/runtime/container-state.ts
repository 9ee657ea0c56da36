// Docker's container inspect document reduced to ContainerState (null for containers Homeport does not manage).

import type Dockerode from 'dockerode';
import { fromDockerLabels } from './labels.js';
import type { ContainerHealth, ContainerState } from './types.js';

/** Docker writes 0001-01-01T00:00:00Z for "never". */
function epochMs(value: string | undefined): number | null {
  if (!value || value.startsWith('0001-01-01')) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function health(status: string | undefined): ContainerHealth {
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : 'none';
}

export function toContainerState(info: Dockerode.ContainerInspectInfo): ContainerState | null {
  const labels = fromDockerLabels(info.Config?.Labels);
  if (!labels) return null;
  const state = info.State;
  const imageRef = info.Config?.Image ?? '';
  const at = imageRef.lastIndexOf('@');
  const digest = at === -1 ? null : imageRef.slice(at + 1);
  const startedAt = epochMs(state.StartedAt);
  const finishedAt = epochMs(state.FinishedAt);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    labels,
    imageRef,
    imageDigest: digest !== null && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : null,
    running: state.Running,
    exitCode: state.Running || finishedAt === null ? null : state.ExitCode,
    startedAt,
    finishedAt,
    health: health(state.Health?.Status),
    restartCount: info.RestartCount ?? 0,
    oomKilled: state.OOMKilled,
  };
}
