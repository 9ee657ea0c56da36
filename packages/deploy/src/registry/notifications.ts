// Docker distribution notification envelopes (`application/vnd.docker.distribution.events.v1+json`,
// `{ "events": [...] }`), as the registry webhook receives them: anyone who can reach the route can post
// anything, so the envelope is checked by schema and only pushes of manifests come out.

import { Type } from '@homeport/core';
import { Compile } from 'typebox/compile';
import { DeployError } from '../errors.js';
import { checkTag, isDigest } from './reference.js';

export const NOTIFICATION_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);

export interface RegistryPushEvent {
  id: string;
  timestamp: string;
  /** `team/app`, the path inside the registry. */
  repository: string;
  tag?: string;
  digest: string;
  mediaType: string;
  /** `host[:port]` the push went to: the request's Host, else the host of the target URL. */
  registryHost: string;
}

export interface ParsedEnvelope {
  pushes: RegistryPushEvent[];
  /** Events left out: pulls, blob pushes, deletes, and events whose fields are not valid. */
  ignored: number;
}

const Short = (max: number) => Type.String({ maxLength: max });

// Only the fields used are described; the registry sends more (actor, source, references…).
const Envelope = Compile(
  Type.Object({
    events: Type.Array(
      Type.Object({
        id: Type.String({ minLength: 1, maxLength: 128 }),
        timestamp: Short(64),
        action: Short(32),
        target: Type.Object({
          mediaType: Short(256),
          digest: Type.Optional(Short(128)),
          repository: Short(255),
          url: Type.Optional(Short(2048)),
          tag: Type.Optional(Short(128)),
        }),
        request: Type.Optional(Type.Object({ host: Type.Optional(Short(262)) })),
      }),
    ),
  }),
);

const PATH = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

function hostOf(event: { request?: { host?: string }; target: { url?: string } }): string | undefined {
  const fromRequest = event.request?.host?.toLowerCase();
  if (fromRequest !== undefined && fromRequest !== '') return fromRequest;
  if (event.target.url === undefined) return undefined;
  try {
    return new URL(event.target.url).host;
  } catch {
    return undefined;
  }
}

function validTag(tag: string | undefined): boolean {
  if (tag === undefined) return true;
  try {
    checkTag(tag);
    return true;
  } catch {
    // An invalid tag makes the event unusable; the caller counts it as ignored.
    return false;
  }
}

/**
 * The manifest pushes in an envelope (JSON text or parsed value). More than `maxEvents` events (default 100),
 * or something that is not an envelope, is a `deploy_bad_request`.
 */
export function parseNotificationEnvelope(body: unknown, maxEvents = 100): ParsedEnvelope {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString());
    } catch {
      throw new DeployError('deploy_bad_request', 'notification body is not JSON');
    }
  }
  const events =
    typeof value === 'object' && value !== null ? (value as { events?: unknown }).events : undefined; // checked below
  if (Array.isArray(events) && events.length > maxEvents) {
    throw new DeployError(
      'deploy_bad_request',
      `notification carries ${events.length} events, more than ${maxEvents}`,
    );
  }
  if (!Envelope.Check(value)) {
    throw new DeployError(
      'deploy_bad_request',
      'notification is not a distribution events envelope ({ events: [...] })',
    );
  }
  const pushes: RegistryPushEvent[] = [];
  for (const event of value.events) {
    const { target } = event;
    const registryHost = hostOf(event);
    const usable =
      event.action === 'push' &&
      MANIFEST_TYPES.has(target.mediaType) &&
      isDigest(target.digest) &&
      PATH.test(target.repository) &&
      validTag(target.tag) &&
      registryHost !== undefined &&
      HOST.test(registryHost);
    if (!usable || target.digest === undefined) continue;
    pushes.push({
      id: event.id,
      timestamp: event.timestamp,
      repository: target.repository,
      ...(target.tag === undefined ? {} : { tag: target.tag }),
      digest: target.digest,
      mediaType: target.mediaType,
      registryHost,
    });
  }
  return { pushes, ignored: value.events.length - pushes.length };
}
