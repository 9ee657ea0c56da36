// What the credential gate needs to decide (keys, export ids, revoked ids, browser origins) as one value: the agent hands it
// to its WebDAV front, in process or to every worker process (as JSON over the cluster's IPC channel).

import type { CredentialGate, GateKeys } from './credential-gate.js';

export interface GateState {
  /** Undefined until the agent first fetched keys: the gate then admits nobody. */
  keys: GateKeys | undefined;
  /** Control-plane export id by mount path; an unmapped path admits nobody. */
  exportIds: ReadonlyMap<string, string>;
  revoked: readonly string[];
  /** Origins whose pages may call the agent (CORS); none when absent (an agent not told any yet). */
  allowedOrigins?: readonly string[];
}

/** GateState as JSON: keys as base64url (null when none yet), the map as pairs. */
export interface GateStateWire {
  keys: {
    nodeId: string;
    maxTtlSeconds: number;
    keys: { id: number; key: string; notAfter: number | null }[];
  } | null;
  exportIds: [string, string][];
  revoked: string[];
  allowedOrigins?: string[];
}

export function applyGateState(gate: CredentialGate, state: GateState): void {
  // Keys are only ever replaced, never unset: an agent without keys has never had any (see agent.ts).
  if (state.keys !== undefined) gate.setKeys(state.keys);
  gate.setExports(state.exportIds);
  gate.setRevoked(state.revoked);
  gate.setAllowedOrigins(state.allowedOrigins ?? []);
}

export function gateStateToWire(state: GateState): GateStateWire {
  return {
    keys:
      state.keys === undefined
        ? null
        : {
            nodeId: state.keys.nodeId,
            maxTtlSeconds: state.keys.maxTtlSeconds,
            keys: state.keys.keys.map((entry) => ({
              id: entry.id,
              key: entry.key.toString('base64url'),
              notAfter: entry.notAfter,
            })),
          },
    exportIds: [...state.exportIds],
    revoked: [...state.revoked],
    allowedOrigins: [...(state.allowedOrigins ?? [])],
  };
}

export function gateStateFromWire(wire: GateStateWire): GateState {
  return {
    keys:
      wire.keys === null
        ? undefined
        : {
            nodeId: wire.keys.nodeId,
            maxTtlSeconds: wire.keys.maxTtlSeconds,
            keys: wire.keys.keys.map((entry) => ({
              id: entry.id,
              key: Buffer.from(entry.key, 'base64url'),
              notAfter: entry.notAfter,
            })),
          },
    exportIds: new Map(wire.exportIds),
    revoked: wire.revoked,
    allowedOrigins: wire.allowedOrigins ?? [],
  };
}
