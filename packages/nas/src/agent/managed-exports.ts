// Exports an admin adds from the web UI: the control plane asks, the agent decides. Each asked-for folder must
// lie inside one of the agent's own roots (HOMEPORT_EXPORT_ROOTS), so a compromised control plane or admin
// session can never make the agent export /etc or its own state dir; the check is made here, on the real
// file system, every time the set is applied.

import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { ConfigError, type Logger } from '@homeport/core';
import { relativeFolderSegments } from '../managed-export-path.js';
import type { AgentExport } from './export-specs.js';

const ROOTS_SETTING = '--export-root (HOMEPORT_EXPORT_ROOTS)';

/** What the control plane asks for (GET /nodes/:id/desired-exports); every field is checked here again. */
export interface ManagedExportSpec {
  id: string;
  /** One of the roots this agent reported, exactly as reported (its real path). */
  root: string;
  /** `a/b`: segments below the root, made if missing. */
  relativePath: string;
  label: string;
  /** Chosen by the control plane when the export was added, kept on rename (mounts keep working). */
  mountPath: string;
}

export class ManagedFolderRefused extends Error {}

const MOUNT_PATH = /^\/dav\/[a-z0-9._-]{1,40}\/$/;

const within = (parent: string, child: string) => child === parent || child.startsWith(`${parent}${sep}`);

const realOrSame = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path; // not made yet (a state dir on the first start): compared as given
  }
};

/**
 * The real path of each root; a root that is missing, relative or not a folder fails the start, and so does
 * one holding `mustNotContain` (the agent's state dir, the embedded control plane's data dir with its
 * database and secrets): every folder inside a root may end up exported.
 */
export function resolveExportRoots(
  paths: readonly string[],
  mustNotContain: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const guarded = mustNotContain.map(realOrSame);
  const roots = paths.flatMap((path) => {
    if (!isAbsolute(path)) {
      problems.push(`${ROOTS_SETTING}: ${path} is not an absolute path`);
      return [];
    }
    try {
      const real = realpathSync(path);
      if (!statSync(real).isDirectory()) problems.push(`${ROOTS_SETTING}: ${path} is not a folder`);
      else if (guarded.some((hidden) => within(real, hidden)))
        problems.push(`${ROOTS_SETTING}: ${path} holds Homeport's own state (its data or agent state dir)`);
      else return [real];
    } catch {
      problems.push(`${ROOTS_SETTING}: ${path} does not exist`);
    }
    return [];
  });
  // Every problem at once, one line each, as the configuration loader reports them.
  if (problems.length > 0) throw new ConfigError(problems);
  return [...new Set(roots)];
}

/** `a/b` as its segments, or a refusal. */
function relativeSegments(relativePath: string): string[] {
  const checked = relativeFolderSegments(relativePath);
  if ('problem' in checked) throw new ManagedFolderRefused(checked.problem);
  return checked.segments;
}

export interface PrepareOptions {
  /** The agent's real roots. */
  roots: readonly string[];
  /** Folders an export may neither be, contain nor lie in (the agent's state dir). */
  private: readonly string[];
}

/**
 * Makes the folder (0750, one segment at a time, never through a symlink) and returns its real path, or
 * refuses: root not one of ours, a bad path, a symlink or file on the way, or the agent's own state.
 */
export function prepareManagedFolder(
  spec: Pick<ManagedExportSpec, 'root' | 'relativePath'>,
  options: PrepareOptions,
): string {
  if (!options.roots.includes(spec.root))
    throw new ManagedFolderRefused('its root is not one of this agent’s roots');
  let current = spec.root;
  for (const segment of relativeSegments(spec.relativePath)) {
    current = join(current, segment);
    let stats: ReturnType<typeof lstatSync> | undefined;
    try {
      stats = lstatSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (stats === undefined) mkdirSync(current, { mode: 0o750 });
    else if (stats.isSymbolicLink()) throw new ManagedFolderRefused(`${segment} is a symbolic link`);
    else if (!stats.isDirectory()) throw new ManagedFolderRefused(`${segment} is not a folder`);
  }
  // Checked again on the real path: a segment swapped for a symlink meanwhile leads out and is refused.
  const real = realpathSync(current);
  if (!within(spec.root, real) || real === spec.root)
    throw new ManagedFolderRefused('the folder is not inside its root');
  for (const hidden of options.private) {
    if (within(hidden, real) || within(real, hidden))
      throw new ManagedFolderRefused('the folder holds, or lies in, the agent’s own state');
  }
  return real;
}

/** Tag of a synced export that an admin added: lets the control plane match the two. */
export const managedTag = (id: string) => `managed:${id}`;

/**
 * The exports to serve: the configured ones first (they win any clash), then each managed one that passes
 * the checks; a refused one is logged and left out (the UI shows it as not applied).
 */
export function composeExports(
  configured: readonly AgentExport[],
  specs: readonly ManagedExportSpec[],
  options: PrepareOptions & { log: Logger },
): AgentExport[] {
  const result: AgentExport[] = [...configured];
  const roots = new Set(configured.map((item) => item.root));
  const mountPaths = new Set(configured.map((item) => item.mountPath));
  for (const spec of specs) {
    try {
      // From the control plane's JSON (or the state file): the shape is checked before anything is used.
      const fields = [spec.id, spec.root, spec.relativePath, spec.label, spec.mountPath];
      if (!fields.every((field) => typeof field === 'string') || spec.label.trim() === '')
        throw new ManagedFolderRefused('malformed managed export');
      if (!MOUNT_PATH.test(spec.mountPath) || mountPaths.has(spec.mountPath))
        throw new ManagedFolderRefused(`mount path ${spec.mountPath} is malformed or taken`);
      const root = prepareManagedFolder(spec, options);
      if (roots.has(root)) throw new ManagedFolderRefused('the folder is exported already');
      roots.add(root);
      mountPaths.add(spec.mountPath);
      result.push({ root, label: spec.label, mountPath: spec.mountPath, managedId: spec.id });
    } catch (error) {
      options.log.error(
        { managedExportId: spec.id, err: (error as Error).message },
        'refused an export the control plane asked for',
      );
    }
  }
  return result;
}
