// The closed set of errors the NAS package raises, each bound to its kind (the HTTP layer maps kinds to
// statuses in one place), so a throw site names only the code and a message.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  invalid_request: 'bad_request',
  /** A node route without a valid node (or bootstrap, or re-enrolment) token; a client route signed out. */
  unauthorized: 'unauthorized',
  node_not_found: 'not_found',
  /** Also what a member gets for an export not shared with them: the two must read the same. */
  export_not_found: 'not_found',
  user_not_found: 'not_found',
  /** Unsharing a user who had no grant. */
  not_granted: 'not_found',
  credential_not_found: 'not_found',
  /** A share link that does not exist, is revoked or expired, or whose secret is wrong: all read the same. */
  share_not_found: 'not_found',
  /** The link has a password and none was given (the page then asks for it). */
  share_password_required: 'unauthorized',
  share_password_wrong: 'unauthorized',
  /** Too many wrong passwords for a link or from an address (Retry-After says when to try again). */
  share_password_throttled: 'rate_limited',
  too_many_shares: 'rate_limited',
  /**
   * Share links, browser access and exports added from the UI need a Homeport agent (a betterNAS agent
   * verifies only its own format, and takes no exports from the control plane).
   */
  agent_unsupported: 'conflict',
  /** Adding an export from the UI on a node whose agent has no HOMEPORT_EXPORT_ROOTS. */
  export_roots_unset: 'conflict',
  managed_export_not_found: 'not_found',
  /** The label, folder or mount path is taken on that node, or the node has as many as it may. */
  managed_export_conflict: 'conflict',
  /** Creating a share link needs read-write access to the export. */
  share_forbidden: 'forbidden',
  node_offline: 'unavailable',
  /** A profile for a betterNAS agent's node, with no BETTERNAS_DAV_AUTH_SECRET to sign it with. */
  betternas_secret_missing: 'unavailable',
  /** A cloud profile with no Nextcloud configured (HOMEPORT_NEXTCLOUD_BASE_URL). */
  nextcloud_not_configured: 'unavailable',
  /** A node that runs a Homeport agent re-registering as a betterNAS agent (its node token is not enough). */
  agent_kind_downgrade: 'conflict',
  /** Rotating the key of a node whose betterNAS agent has none (it uses the shared secret). */
  rotation_not_applicable: 'conflict',
  /** A setting the environment or config file pins. */
  setting_managed: 'conflict',
  too_many_nodes: 'conflict',
  too_many_credentials: 'rate_limited',
  /** Node routes over their budget (per node, or refusals per address). */
  rate_limited: 'rate_limited',
} as const satisfies Record<string, ErrorKind>;

export type NasErrorCode = keyof typeof KINDS;

export class NasError extends errorClass(KINDS) {}
