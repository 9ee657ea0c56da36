// Where each account stopped reading each room: one JetStream KV entry per account and room (in Homeport's
// own account), so every replica counts unread messages alike. A marker only moves forward.

import { createHash } from 'node:crypto';
import type { KV, Kvm } from '@nats-io/kv';
import { natsCall } from './errors.js';

export interface ReadMarker {
  /** The newest message id read. */
  upTo: string;
  /** Its stream sequence in a persisted room (0 in an ephemeral room). */
  seq: number;
}

export interface ReadMarkers {
  get(userId: string, roomId: string): Promise<ReadMarker | undefined>;
  /** Stores the marker unless the stored one is further on. */
  advance(userId: string, roomId: string, marker: ReadMarker): Promise<void>;
}

export async function openReadMarkers(kvm: Kvm, replicas: number): Promise<ReadMarkers> {
  const kv: KV = await kvm.create('bus_gateway_reads', { history: 1, replicas });
  // Account ids are not promised to be KV-key safe; a digest is.
  const key = (userId: string, roomId: string) =>
    `${createHash('sha256').update(userId).digest('base64url').slice(0, 32)}.${roomId}`;

  const markers: ReadMarkers = {
    async get(userId, roomId) {
      const entry = await natsCall('read marker', () => kv.get(key(userId, roomId)));
      if (entry?.operation !== 'PUT') return undefined;
      try {
        const value = entry.json<Partial<ReadMarker>>();
        if (typeof value.upTo === 'string' && typeof value.seq === 'number')
          return { upTo: value.upTo, seq: value.seq };
      } catch {
        // A damaged entry reads as no marker: the room counts as unread until the next one is written.
      }
      return undefined;
    },
    async advance(userId, roomId, marker) {
      const stored = await markers.get(userId, roomId);
      if (stored && (stored.seq > marker.seq || (stored.seq === marker.seq && stored.upTo >= marker.upTo)))
        return;
      await natsCall('read marker', () => kv.put(key(userId, roomId), JSON.stringify(marker)));
    },
  };
  return markers;
}
