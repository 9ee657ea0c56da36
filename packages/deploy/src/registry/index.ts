// The registry client, notification envelopes and tag patterns: the deploy module's public surface for them.

export type { RegistryAuth } from './auth.js';
export {
  createRegistryClient,
  MANIFEST_ACCEPT,
  type RegistryClient,
  type RegistryClientOptions,
} from './client.js';
export {
  NOTIFICATION_MEDIA_TYPE,
  type ParsedEnvelope,
  parseNotificationEnvelope,
  type RegistryPushEvent,
} from './notifications.js';
export { type ImageRepository, parseImageRepository } from './reference.js';
export { compareTags, compileTagPattern, type TagPattern, type TagPatternSpec } from './tag-pattern.js';
