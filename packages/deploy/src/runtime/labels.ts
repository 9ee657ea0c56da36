// Homeport's labels on containers: how ContainerLabels are written and read back, and the managed marker that
// keeps every list and inspect away from containers Homeport did not create.

import type { ContainerLabels } from './types.js';

export const MANAGED_LABEL = 'homeport.managed';

const KEYS = ['project', 'stage', 'release', 'color', 'deploy'] as const;

export function toDockerLabels(labels: ContainerLabels): Record<string, string> {
  const out: Record<string, string> = { [MANAGED_LABEL]: 'true' };
  for (const key of KEYS) out[`homeport.${key}`] = labels[key];
  return out;
}

/** The labels of a managed container, or null when the container is not Homeport's (or its labels are incomplete). */
export function fromDockerLabels(labels: Record<string, string> | null | undefined): ContainerLabels | null {
  if (labels?.[MANAGED_LABEL] !== 'true') return null;
  const project = labels['homeport.project'];
  const stage = labels['homeport.stage'];
  const release = labels['homeport.release'];
  const color = labels['homeport.color'];
  const deploy = labels['homeport.deploy'];
  if (!project || !stage || !release || !deploy || (color !== 'blue' && color !== 'green')) return null;
  return { project, stage, release, color, deploy };
}

/** Docker `label` filters for a list: the managed marker plus each given label. */
export function labelFilters(filter: Partial<ContainerLabels>): string[] {
  const filters = [`${MANAGED_LABEL}=true`];
  for (const key of KEYS) {
    const value = filter[key];
    if (value !== undefined) filters.push(`homeport.${key}=${value}`);
  }
  return filters;
}
