// Which modules run: by default every module whose requirements this machine meets, each module that does
// not run with one line saying why; with `--modules`, exactly those (an unmet requirement is then an error,
// not a silent absence).

import { ConfigError } from '../config/load.js';
import { dockerRequirement } from '../docker/settings.js';
import type { Module, Requirement, RequirementCheck } from '../module.js';

/** How each requirement is checked on this machine. */
export type RequirementProbes = Partial<Record<Requirement, () => Promise<RequirementCheck>>>;

export interface ModuleOff {
  name: string;
  reason: string;
}

const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * The checks used when the caller gives none. The composition root gives its own NATS check, which opens
 * NATS (HOMEPORT_NATS_URL, or the managed `nats-server`) the first time a module requiring it is considered;
 * this one only says how to get NATS.
 */
export const DEFAULT_PROBES: Required<RequirementProbes> = {
  async nats() {
    return {
      met: false,
      reason: 'needs NATS: install nats-server (apt-get install nats-server) or set HOMEPORT_NATS_URL',
    };
  },
  async docker() {
    return dockerRequirement(process.env.HOMEPORT_DOCKER_HOST ?? `unix://${DOCKER_SOCKET}`);
  },
};

/** Why a module cannot run here, or undefined when all its requirements are met. */
async function unmet(module: Module, probes: RequirementProbes): Promise<string | undefined> {
  const reasons: string[] = [];
  for (const requirement of module.requires ?? []) {
    const probe = probes[requirement] ?? DEFAULT_PROBES[requirement];
    const check = await probe();
    if (!check.met) reasons.push(check.reason);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/**
 * Splits the catalogue into the modules that run and those that do not. `wanted` is `--modules` (`base`, the
 * module every other builds on — accounts —, is always on and may be named); unknown names and wanted
 * modules whose requirements are not met are configuration errors.
 */
export async function selectModules(
  base: string,
  catalogue: readonly Module[],
  wanted: readonly string[] | undefined,
  probes: RequirementProbes = {},
): Promise<{ on: Module[]; off: ModuleOff[] }> {
  const names = new Set([base, ...catalogue.map((module) => module.name)]);
  const unknown = (wanted ?? []).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new ConfigError([
      `--modules: unknown module(s) ${unknown.join(', ')}; available: ${[...names].join(', ')}`,
    ]);
  }
  const on: Module[] = [];
  const off: ModuleOff[] = [];
  const problems: string[] = [];
  for (const module of catalogue) {
    if (wanted !== undefined && !wanted.includes(module.name)) {
      off.push({ name: module.name, reason: 'not in --modules (HOMEPORT_MODULES)' });
      continue;
    }
    const reason = await unmet(module, probes);
    if (reason === undefined) on.push(module);
    else if (wanted !== undefined) problems.push(`--modules: ${module.name} ${reason}`);
    else off.push({ name: module.name, reason });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { on, off };
}
