// What the agent keeps between restarts (mode 0600): machine id, node id, node token, verification keys,
// which export id each folder has, and the revoked credential ids — so a restart while the control plane
// is unreachable keeps serving issued credentials and keeps refusing revoked ones.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManagedExportSpec } from './managed-exports.js';

export interface AgentIdentity {
  machineId: string;
  nodeId?: string;
  nodeToken?: string;
  /** Key generations the node verifies mount credentials with (base64url keys, from the control plane). */
  davKeys?: { id: number; key: string; notAfter: number | null }[];
  /** Longest credential lifetime the control plane issues, in seconds. */
  maxTtlSeconds?: number;
  /** Export id per exported folder, as the control plane answered the last sync. */
  exportIds?: { root: string; mountPath: string; id: string }[];
  /** Revoked credential ids and the revocation version they are current to. */
  revoked?: { version: number; ids: string[] };
  /** Origins whose pages may call the agent from a browser (CORS), as the control plane last said. */
  allowedOrigins?: string[];
  /** Exports an admin added from the UI, as last fetched (checked again by the agent whenever applied). */
  managed?: { version: string; exports: ManagedExportSpec[] };
  /** The control plane these were issued by: a different one means registering afresh. */
  controlPlaneUrl?: string;
}

export interface AgentStateFile {
  read(): AgentIdentity;
  write(identity: AgentIdentity): void;
}

/** Reads or creates `<stateDir>/agent.json`; a configured machine id wins over the stored one. */
export function openAgentState(stateDir: string, configuredMachineId: string | undefined): AgentStateFile {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'agent.json');
  const write = (identity: AgentIdentity) => {
    const aside = `${file}.tmp`;
    writeFileSync(aside, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
    renameSync(aside, file);
  };
  let current: AgentIdentity;
  try {
    // Written by this function only; checked for the one field that must be there.
    current = JSON.parse(readFileSync(file, 'utf8')) as AgentIdentity;
    if (typeof current.machineId !== 'string') throw new Error(`${file} has no machineId`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    current = { machineId: configuredMachineId ?? randomUUID() };
    write(current);
  }
  if (configuredMachineId !== undefined && configuredMachineId !== current.machineId) {
    current = { machineId: configuredMachineId };
    write(current);
  }
  return {
    read: () => current,
    write(identity) {
      current = identity;
      write(identity);
    },
  };
}
