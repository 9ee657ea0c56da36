// Pulling an image by digest: the engine answers 200 at once and reports progress, and failures, as JSON lines
// in the body, so the stream is read to its end and an error line becomes the pull's error.

import type { Logger } from '@homeport/core';
import type Dockerode from 'dockerode';
import { DeployError } from '../errors.js';
import { engineError, engineMessage, engineStatus, pullError } from './engine-errors.js';
import type { RegistryAuth } from './types.js';

/** The message of a progress line that reports an error, or undefined for ordinary progress. */
function errorOf(line: string): string | undefined {
  if (!line.includes('"error')) return undefined;
  try {
    const parsed = JSON.parse(line) as { errorDetail?: { message?: string }; error?: string };
    return parsed.errorDetail?.message ?? parsed.error;
  } catch {
    // Not JSON after all: report the raw line rather than lose it.
    return line;
  }
}

/** Pulls `reference` (already checked to be pinned); bounded by `signal`, which it rejects with. */
export async function pullImage(
  docker: Dockerode,
  log: Logger,
  reference: string,
  auth: RegistryAuth | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.createImage(auth ?? {}, {
      fromImage: reference,
      ...(signal === undefined ? {} : { abortSignal: signal }),
    })) as NodeJS.ReadableStream;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    // An answer with a status (404, 500) is the registry's verdict relayed by the engine; no answer is the engine.
    throw engineStatus(error) === undefined
      ? engineError(error, `pull ${reference}`)
      : pullError(reference, engineMessage(error));
  }
  let partial = '';
  try {
    for await (const chunk of stream) {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const message = errorOf(line);
        if (message !== undefined) throw pullError(reference, message);
      }
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof DeployError) throw error;
    throw engineError(error, `pull ${reference}`);
  }
  const last = errorOf(partial);
  if (last !== undefined) throw pullError(reference, last);
  log.info({ reference }, 'image pulled');
}
