// Public surface of @homeport/nas.

export type { Agent } from './agent/agent.js';
export { agentFromConfig, listenAddress } from './agent/embedded.js';
export { AGENT_HEADER, AGENT_PROTOCOL } from './agent-protocol.js';
export { createNasModule, NAS, type NasApi, type NasModuleOptions } from './control/module.js';
export { type NasService, NODES_TOPIC } from './control/service.js';
export { createKvNasStore } from './control/store/kv-store.js';
export type {
  AgentKind,
  ExportRecord,
  ExportRepository,
  NodeRecord,
  NodeRepository,
  NodeStatus,
} from './control/store/repositories.js';
export {
  type NasSnapshotOptions,
  nasSnapshotKinds,
  snapshotNas,
} from './control/store/snapshot.js';
export { createSqliteNasStore } from './control/store/sqlite-store.js';
export {
  type BetterNasClaims,
  rfc3339Seconds,
  signBetterNasCredential,
  verifyBetterNasCredential,
} from './credentials/betternas-credential.js';
export {
  type CredentialScope,
  ID_PATTERN,
  isScopePath,
  MAX_ID_LENGTH,
  MAX_PASSWORD_BYTES,
  MAX_SCOPE_PATH_BYTES,
  type MountClaims,
  nodeDavKey,
  signMountCredential,
  verifyMountCredential,
} from './credentials/mount-credential.js';
export { NasError, type NasErrorCode } from './errors.js';
export { agentSettings, nasSettings } from './settings.js';
