// Exports admins add, rename and remove from the UI. The control plane keeps the wanted list per node and
// checks what it can (a Homeport agent, one of the roots the agent reported, a plain relative path, a free
// label); the agent checks each folder again on its own file system before serving it (managed-exports.ts).

import { createHash, randomUUID } from 'node:crypto';
import { type EventBus, type Logger, publishOrLog } from '@homeport/core';
import { NasError } from '../errors.js';
import { relativeFolderSegments } from '../managed-export-path.js';
import { deriveMountPath } from '../mount-path.js';
import type { NodeCaller } from './node-enrolment.js';
import type {
  ExportRecord,
  ManagedExportRecord,
  ManagedExportsDoc,
  NasStore,
  NodeRecord,
} from './store/repositories.js';
import { EXPORTS_TOPIC } from './topics.js';

/** Exports one node may have added from the UI: each is a folder the agent serves and syncs. */
export const MAX_MANAGED_EXPORTS = 64;
const MAX_LABEL = 128;

/** What a synced export carries when the agent serves it for a managed export (managed-exports.ts). */
export const managedTagOf = (id: string) => `managed:${id}`;

export interface ManagedExportServiceOptions {
  store: NasStore;
  log: Logger;
  events: EventBus;
  clock: () => number;
  nodeOrThrow(nodeId: string): Promise<NodeRecord>;
  authenticateNode(nodeId: string, caller: NodeCaller): Promise<NodeRecord>;
  /** Told after each change (the module nudges the embedded agent, so it applies it without waiting). */
  onChange?: (nodeId: string) => void;
}

export interface ManagedExportInput {
  root: string;
  relativePath: string;
  label: string;
}

/** The version the heartbeat announces: the agent fetches the list when it differs from the one it applied. */
export function managedVersion(exports: readonly ManagedExportRecord[]): string {
  const wanted = exports.map(({ id, root, relativePath, label, mountPath }) => [
    id,
    root,
    relativePath,
    label,
    mountPath,
  ]);
  return createHash('sha256').update(JSON.stringify(wanted)).digest('base64url').slice(0, 22);
}

function checkedLabel(label: string): string {
  const trimmed = label.trim();
  if (trimmed === '' || trimmed.length > MAX_LABEL || /[\p{Cc}]/u.test(trimmed))
    throw new NasError('invalid_request', `A label is 1–${MAX_LABEL} characters, without control characters`);
  return trimmed;
}

const sameLabel = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

export function createManagedExportService(options: ManagedExportServiceOptions) {
  const { store, log } = options;
  const nowIso = () => new Date(options.clock()).toISOString();

  /** A Homeport agent's node: a betterNAS agent takes no exports from the control plane. */
  const homeportNode = async (nodeId: string): Promise<NodeRecord> => {
    const node = await options.nodeOrThrow(nodeId);
    if (node.agentKind !== 'homeport')
      throw new NasError(
        'agent_unsupported',
        'This node runs a betterNAS agent: its exports come from its own configuration',
      );
    return node;
  };

  const changed = (nodeId: string) => {
    options.onChange?.(nodeId);
    return publishOrLog(options.events, log, EXPORTS_TOPIC, 'exports.managed', { nodeId });
  };

  /** Labels in use on the node: its synced exports' (configured ones too) and the managed ones'. */
  const labelTaken = (
    label: string,
    synced: readonly ExportRecord[],
    doc: ManagedExportsDoc,
    except?: string,
  ) =>
    synced.some(
      (record) => sameLabel(record.label, label) && !record.tags.includes(managedTagOf(except ?? '')),
    ) || doc.exports.some((item) => item.id !== except && sameLabel(item.label, label));

  const findIn = (doc: ManagedExportsDoc, id: string): ManagedExportRecord => {
    const found = doc.exports.find((item) => item.id === id);
    if (!found)
      throw new NasError('managed_export_not_found', `No export "${id}" added from the UI on this node`);
    return found;
  };

  return {
    /** The node's roots and managed exports, each with the id of the export the agent serves for it (or null). */
    async listManagedExports(nodeId: string) {
      await homeportNode(nodeId);
      const [doc, synced] = await Promise.all([
        store.managedExports.forNode(nodeId),
        store.exports.listForNode(nodeId),
      ]);
      return {
        roots: doc.roots,
        exports: doc.exports.map((item) => ({
          ...item,
          exportId: synced.find((record) => record.tags.includes(managedTagOf(item.id)))?.id ?? null,
        })),
      };
    },

    async addManagedExport(nodeId: string, userId: string, input: ManagedExportInput) {
      await homeportNode(nodeId);
      const label = checkedLabel(input.label);
      const checked = relativeFolderSegments(input.relativePath);
      if ('problem' in checked) throw new NasError('invalid_request', `Folder: ${checked.problem}`);
      const relativePath = checked.segments.join('/');
      const synced = await store.exports.listForNode(nodeId);
      const id = `mex_${randomUUID().replaceAll('-', '')}`;
      let record: ManagedExportRecord | undefined;
      await store.managedExports.change(nodeId, (doc) => {
        if (doc.roots.length === 0)
          throw new NasError(
            'export_roots_unset',
            "This node's agent has no HOMEPORT_EXPORT_ROOTS: set it to the folders exports may be added in, and restart the agent",
          );
        if (!doc.roots.includes(input.root))
          throw new NasError('invalid_request', 'Root: choose one of the roots this node reported');
        if (doc.exports.length >= MAX_MANAGED_EXPORTS)
          throw new NasError(
            'managed_export_conflict',
            `A node has at most ${MAX_MANAGED_EXPORTS} exports added from the UI`,
          );
        if (labelTaken(label, synced, doc))
          throw new NasError(
            'managed_export_conflict',
            `An export of this node is already labelled "${label}"`,
          );
        if (doc.exports.some((item) => item.root === input.root && item.relativePath === relativePath))
          throw new NasError('managed_export_conflict', 'This folder is exported already');
        const taken = new Set([
          ...synced.map((item) => item.mountPath),
          ...doc.exports.map((item) => item.mountPath),
        ]);
        record = {
          id,
          root: input.root,
          relativePath,
          label,
          mountPath: deriveMountPath(label, taken),
          createdBy: userId,
          createdAt: nowIso(),
        };
        return { ...doc, exports: [...doc.exports, record] };
      });
      log.info({ nodeId, managedExportId: id, mountPath: record?.mountPath }, 'export added from the UI');
      await changed(nodeId);
      return { ...(record as ManagedExportRecord), exportId: null }; // set by the change above, which did not throw
    },

    /** A new label only: the folder, the mount path and so the export's id, grants and credentials stay. */
    async renameManagedExport(nodeId: string, id: string, newLabel: string) {
      await homeportNode(nodeId);
      const label = checkedLabel(newLabel);
      const synced = await store.exports.listForNode(nodeId);
      const doc = await store.managedExports.change(nodeId, (current) => {
        findIn(current, id);
        if (labelTaken(label, synced, current, id))
          throw new NasError(
            'managed_export_conflict',
            `An export of this node is already labelled "${label}"`,
          );
        return {
          ...current,
          exports: current.exports.map((item) => (item.id === id ? { ...item, label } : item)),
        };
      });
      log.info({ nodeId, managedExportId: id }, 'export renamed from the UI');
      await changed(nodeId);
      const record = findIn(doc, id);
      return { ...record, exportId: synced.find((item) => item.tags.includes(managedTagOf(id)))?.id ?? null };
    },

    /**
     * Removes it from the node's wanted list; the folder and its files stay on disk. Its credentials end now
     * (not only once the agent syncs), and the agent's next sync removes the export with its grants.
     */
    async removeManagedExport(nodeId: string, id: string) {
      await homeportNode(nodeId);
      await store.managedExports.change(nodeId, (doc) => {
        findIn(doc, id);
        return { ...doc, exports: doc.exports.filter((item) => item.id !== id) };
      });
      const served = (await store.exports.listForNode(nodeId)).find((record) =>
        record.tags.includes(managedTagOf(id)),
      );
      const revoked = served
        ? await store.credentials.revoke(
            { exportId: served.id },
            nowIso(),
            Math.floor(options.clock() / 1000),
          )
        : 0;
      log.info({ nodeId, managedExportId: id, revoked }, 'export removed from the UI');
      await changed(nodeId);
    },

    /** What a sync reported as the agent's roots (kept only when they changed). */
    async recordExportRoots(nodeId: string, roots: readonly string[]) {
      await store.managedExports.change(nodeId, (doc) =>
        doc.roots.length === roots.length && doc.roots.every((root, index) => root === roots[index])
          ? undefined
          : { ...doc, roots: [...roots] },
      );
    },

    /** The version a heartbeat answer announces. */
    async managedVersionOf(nodeId: string): Promise<string> {
      return managedVersion((await store.managedExports.forNode(nodeId)).exports);
    },

    /** The node's wanted list, for its agent (node token). */
    async desiredExports(nodeId: string, caller: NodeCaller) {
      await options.authenticateNode(nodeId, caller);
      const { exports } = await store.managedExports.forNode(nodeId);
      return {
        version: managedVersion(exports),
        exports: exports.map(({ id, root, relativePath, label, mountPath }) => ({
          id,
          root,
          relativePath,
          label,
          mountPath,
        })),
      };
    },
  };
}
