// Docker's failures as DeployError codes: the engine not answering is `runtime_unavailable`; the engine refusing
// one request is `runtime_failed` (or `deploy_bad_request` / `deploy_conflict` when it says why); a pull that the
// registry refused is a registry code, so the deploy's failure names the real culprit.

import { DeployError } from '../errors.js';

interface EngineErrorShape {
  statusCode?: unknown;
  json?: unknown;
  reason?: unknown;
  code?: unknown;
  message?: unknown;
  name?: unknown;
}

/** The status code Docker answered with, when the error came from an answer at all. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as EngineErrorShape | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Docker's own message (`{"message": …}`), else the error's. */
export function engineMessage(error: unknown): string {
  const shape = error as EngineErrorShape | null;
  const json = shape?.json as { message?: unknown } | string | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  if (Buffer.isBuffer(json)) return json.toString('utf8').trim();
  return typeof shape?.message === 'string' ? shape.message : String(error);
}

/** Classifies a pull failure reported by the engine (at the start, or as an errorDetail in the stream). */
export function pullError(reference: string, message: string): DeployError {
  if (/manifest unknown|not found|does not exist|name unknown/i.test(message))
    return new DeployError('registry_not_found', `pull ${reference}: ${message}`);
  if (
    /unauthorized|authentication required|denied|no basic auth|connection refused|no such host|timeout|tls/i.test(
      message,
    )
  )
    return new DeployError('registry_unavailable', `pull ${reference}: ${message}`);
  return new DeployError('runtime_failed', `pull ${reference}: ${message}`);
}

/** Wraps what dockerode threw for `action` (e.g. `create container hp-web`). */
export function engineError(error: unknown, action: string): DeployError {
  if (error instanceof DeployError) return error;
  const status = engineStatus(error);
  const message = engineMessage(error);
  if (status === undefined) {
    // No answer: socket missing or refused, a timeout, the connection cut.
    return new DeployError('runtime_unavailable', `Docker engine not reachable (${action}): ${message}`, {
      cause: error,
    });
  }
  if (status === 400) return new DeployError('deploy_bad_request', `${action}: ${message}`, { cause: error });
  if (status === 409) return new DeployError('deploy_conflict', `${action}: ${message}`, { cause: error });
  return new DeployError('runtime_failed', `${action}: ${status} ${message}`, { cause: error });
}
