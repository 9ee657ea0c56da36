// The one JetStream stream of events every replica shares: its limits, and creating it or bringing an
// existing one to them at start.

import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { SUBJECT_PREFIX } from './envelope.js';

export interface EventStreamSettings {
  name: string;
  replicas: number;
  /** Events kept per topic (max_msgs_per_subject): the largest history a topic may ask for. */
  maxPerTopic: number;
  maxAgeMs: number;
  maxBytes: number;
}

const nanos = (ms: number): number => ms * 1_000_000;

/** The limits a stream is held to; only these are compared and updated on an existing stream. */
function limitsOf(settings: EventStreamSettings) {
  return {
    subjects: [`${SUBJECT_PREFIX}>`],
    num_replicas: settings.replicas,
    max_msgs_per_subject: settings.maxPerTopic,
    max_age: nanos(settings.maxAgeMs),
    max_bytes: settings.maxBytes,
    // Nothing is deduplicated by message id; the window only has to fit inside max_age.
    duplicate_window: nanos(Math.min(120_000, settings.maxAgeMs)),
  };
}

/**
 * Creates the stream, or brings an existing one to these limits (another replica, or an older release, may
 * have created it with others: replicas must run with the same settings or they undo each other's update).
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  settings: EventStreamSettings,
): Promise<StreamInfo> {
  const limits = limitsOf(settings);
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(settings.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    const config: Partial<StreamConfig> & { name: string } = {
      name: settings.name,
      ...limits,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      // Old events make room for new ones: a full stream must never refuse a publish.
      discard: DiscardPolicy.Old,
    };
    return jsm.streams.add(config);
  }
  const current = info.config;
  const differs =
    current.subjects.join(',') !== limits.subjects.join(',') ||
    current.num_replicas !== limits.num_replicas ||
    current.max_msgs_per_subject !== limits.max_msgs_per_subject ||
    current.max_age !== limits.max_age ||
    current.max_bytes !== limits.max_bytes ||
    current.discard !== DiscardPolicy.Old;
  return differs ? jsm.streams.update(settings.name, { ...limits, discard: DiscardPolicy.Old }) : info;
}
