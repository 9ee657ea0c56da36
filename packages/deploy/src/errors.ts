// Errors of the deploy module (store, runtime, registry, edge drivers, deployer): each code bound to its kind,
// which the HTTP layer maps to a status. Domain code never imports HTTP types.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  deploy_bad_request: 'bad_request',
  deploy_not_found: 'not_found',
  /** A unique name or host taken, a revision that moved meanwhile, a promote of an ineligible digest. */
  deploy_conflict: 'conflict',
  deploy_unprocessable: 'unprocessable',
  deploy_forbidden: 'forbidden',
  deploy_unauthorized: 'unauthorized',
  /** The Docker engine (or another machine part the module needs) cannot be reached or refused. */
  runtime_unavailable: 'unavailable',
  /** The engine answered with an error for this container or image. */
  runtime_failed: 'unavailable',
  /** The registry cannot be reached, answered badly, or refused our credentials. */
  registry_unavailable: 'unavailable',
  /** The registry has no such repository, tag or manifest. */
  registry_not_found: 'not_found',
  /** The TLS edge (Caddy admin API, nginx) refused a change or cannot be reached. */
  edge_failed: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export type DeployErrorCode = keyof typeof KINDS;

export class DeployError extends errorClass(KINDS) {}
