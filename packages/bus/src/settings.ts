// Settings of the bus: how control-plane requests are authenticated and the bounds a client cannot push the
// server past. Where members reach NATS (HOMEPORT_BUS_LISTEN, its TLS) is core's natsMemberListenerSettings:
// the managed nats-server starts with it, before any module.

import { defineSettings, durationSetting, enumSetting, intSetting } from '@homeport/core';

export const BUS_AUTH_MODES = ['off', 'soft', 'enforce'] as const;
export type BusAuthMode = (typeof BUS_AUTH_MODES)[number];

export const busSettings = defineSettings({
  auth: enumSetting({
    key: 'bus.auth',
    env: 'HOMEPORT_BUS_AUTH',
    values: BUS_AUTH_MODES,
    default: 'enforce',
    doc: 'Signed bus requests: enforce (default: a missing, forged, expired or replayed signature is refused with 401), soft (checked, failures logged and counted, the request goes on as its claimed signer; loopback only), off (the claimed signer is believed; loopback only, for development).',
  }),
  credentialTtl: durationSetting({
    key: 'bus.credentialTtl',
    env: 'HOMEPORT_BUS_CREDENTIAL_TTL',
    default: '10m',
    minMs: 5_000,
    doc: "How long a member's NATS credential (a user JWT allowing exactly its rooms) works; the SDK renews it before it lapses. 5–15 minutes in production.",
  }),
  maxRoomsPerIdentity: intSetting({
    key: 'bus.maxRoomsPerIdentity',
    env: 'HOMEPORT_BUS_MAX_ROOMS',
    default: 200,
    min: 1,
    doc: 'Rooms one identity may create (a quota: every room is stored and may hold a stream).',
  }),
  maxMembersPerRoom: intSetting({
    key: 'bus.maxMembersPerRoom',
    env: 'HOMEPORT_BUS_MAX_MEMBERS',
    default: 256,
    min: 2,
    max: 1000,
    doc: 'Members one room may have (every rekey seals one key per member).',
  }),
  maxRoomBlobBytes: intSetting({
    key: 'bus.maxRoomBlobBytes',
    env: 'HOMEPORT_BUS_ROOM_BLOB_BYTES',
    default: 1024 * 1024 * 1024,
    min: 1,
    doc: 'Bytes of attachments (blobs) one room may hold, 1 GiB by default: every member may upload, and a blob stays while its room does. An upload past it is refused with 422 bus_quota.',
  }),
  maxRoomBlobs: intSetting({
    key: 'bus.maxRoomBlobs',
    env: 'HOMEPORT_BUS_ROOM_BLOBS',
    default: 10_000,
    min: 1,
    doc: 'Attachments (blobs) one room may hold. An upload past it is refused with 422 bus_quota.',
  }),
});
