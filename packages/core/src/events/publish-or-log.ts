// Publishing after a change is stored, where a lost notification must not undo or fail the change.

import type { Logger } from 'pino';
import type { EventBus } from './hub.js';

/**
 * Publishes, and logs instead of rejecting when the event cannot be published (NATS down): the change it
 * announces is stored, so answering the request as failed would be wrong (a retry would repeat it).
 * Subscribers miss that one event; the SPA reloads what it shows when its stream reconnects. Waits for the
 * publish, so events of one request go out in order and a response follows its events.
 *
 * @example
 *   await store.users.update(user);
 *   await publishOrLog(events, log, 'accounts.users', 'user.updated', toPublicUser(user));
 */
export async function publishOrLog(
  events: EventBus,
  log: Logger,
  topic: string,
  type: string,
  data: unknown,
): Promise<void> {
  try {
    await events.publish(topic, type, data);
  } catch (error) {
    log.warn({ err: error, topic, type }, 'event not published (the change it announces is stored)');
  }
}
