// The closed set of errors the NAS package raises.

import { HomeportError } from '@homeport/core';

export type NasErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'node_not_found'
  | 'export_not_found'
  | 'user_not_found'
  | 'not_granted'
  | 'node_offline'
  | 'node_token_mismatch'
  | 'credential_invalid'
  | 'credential_not_found'
  | 'too_many_nodes'
  | 'too_many_credentials'
  | 'rate_limited';

export class NasError extends HomeportError<NasErrorCode> {}
