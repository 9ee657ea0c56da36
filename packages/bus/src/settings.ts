// Settings of the bus: how control-plane requests are authenticated, where members reach NATS, and the
// bounds a client cannot push the server past.

import { defineSettings, durationSetting, enumSetting, intSetting, stringSetting } from '@homeport/core';

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
  listen: stringSetting({
    key: 'bus.listen',
    env: 'HOMEPORT_BUS_LISTEN',
    pattern: /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/,
    patternHint: 'host:port, e.g. 0.0.0.0:4250 or [::1]:4250',
    doc: "Where bus members' NATS clients connect (host:port). Unset: the managed nats-server's loopback port. A non-loopback address needs HOMEPORT_BUS_AUTH=enforce and HOMEPORT_BUS_TLS_CERT/KEY.",
  }),
  tlsCert: stringSetting({
    key: 'bus.tlsCert',
    env: 'HOMEPORT_BUS_TLS_CERT',
    doc: "PEM certificate of the bus's NATS client listener (clients pin its CA). Needs HOMEPORT_BUS_AUTH=enforce.",
  }),
  tlsKey: stringSetting({
    key: 'bus.tlsKey',
    env: 'HOMEPORT_BUS_TLS_KEY',
    secret: true,
    doc: 'PEM private key for HOMEPORT_BUS_TLS_CERT.',
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
});
