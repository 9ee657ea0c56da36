// Parses `path[:label]` export specs, checks the folders, and gives each a mount path on this agent.

import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ConfigError } from '@homeport/core';
import { deriveMountPath } from '../mount-path.js';

const EXPORT_SETTING = '--export (HOMEPORT_EXPORTS)';

export interface AgentExport {
  /** Real path of the folder (symlinks resolved once, at start). */
  root: string;
  label: string;
  /** `/dav/<slug>/`, unique on this agent. */
  mountPath: string;
  /** Set for a folder an admin added from the UI (managed-exports.ts): its id at the control plane. */
  managedId?: string;
}

/**
 * `/srv/photos:Family Photos` → root /srv/photos, label "Family Photos". A spec without a label uses the
 * folder name. `create` makes a missing folder (the embedded agent's default `<data-dir>/files`).
 */
export function parseExportSpecs(
  specs: readonly string[],
  options: { create?: boolean } = {},
): AgentExport[] {
  const taken = new Set<string>();
  const roots = new Set<string>();
  const problems: string[] = [];
  const exports = specs.flatMap((spec) => {
    const colon = spec.indexOf(':');
    const path = resolve(colon === -1 ? spec : spec.slice(0, colon));
    const label = (colon === -1 ? basename(path) : spec.slice(colon + 1)).trim() || basename(path);
    if (options.create) mkdirSync(path, { recursive: true });
    let root: string;
    try {
      root = realpathSync(path);
    } catch {
      problems.push(`${EXPORT_SETTING}: ${path} does not exist`);
      return [];
    }
    if (!statSync(root).isDirectory()) problems.push(`${EXPORT_SETTING}: ${path} is not a folder`);
    else if (roots.has(root)) problems.push(`${EXPORT_SETTING}: ${path} is listed twice`);
    else {
      roots.add(root);
      return [{ root, label, mountPath: deriveMountPath(label, taken) }];
    }
    return [];
  });
  // Every problem at once, one line each, as the configuration loader reports them.
  if (problems.length > 0) throw new ConfigError(problems);
  return exports;
}

export interface ExportSpace {
  /** Size of the file system holding the export. */
  capacityBytes: number | null;
  /** What an ordinary user may still write (`bavail`: root's reserved blocks are not theirs). */
  freeBytes: number | null;
  /** Blocks in use, reserved ones excluded (`blocks - bfree`), as `df` counts them. */
  usedBytes: number | null;
}

const UNKNOWN: ExportSpace = { capacityBytes: null, freeBytes: null, usedBytes: null };

/** Size, free and used bytes of the file system holding the export, as statfs reports them. */
export async function spaceOf(root: string): Promise<ExportSpace> {
  try {
    const stats = await statfs(root);
    return {
      capacityBytes: stats.blocks * stats.bsize,
      freeBytes: stats.bavail * stats.bsize,
      usedBytes: (stats.blocks - stats.bfree) * stats.bsize,
    };
  } catch {
    return UNKNOWN; // not every file system answers statfs; the control plane shows "unknown"
  }
}
