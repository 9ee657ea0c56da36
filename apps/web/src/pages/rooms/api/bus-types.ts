// Shapes of the bus API (`/api/v1/bus`) as the Rooms page and Settings → Bus see them. Written here by hand:
// the generated types (api/openapi.gen.ts) come from an app built without the bus (it would start a
// nats-server for every app test), so the bus routes are not in them.

export type BusRole = 'admin' | 'member';
export type RoomRole = 'owner' | 'member';
export type HistoryVisibility = 'shared' | 'joined';

export interface RoomPolicy {
  /** Messages are sealed with the room key before they reach NATS. */
  encrypted: boolean;
  /** A JetStream stream keeps the room's history (scrollback, late joiners). */
  persisted: boolean;
  /** Every message carries its sender's Ed25519 signature. */
  signed: boolean;
}

/** Who the signed-in account is on the bus: the identity the gateway holds for it. */
export interface GatewayMe {
  signPub: string;
  endpointId: string;
  handle: string;
}

/** A room the signed-in account is a member of, with its unread count. */
export interface GatewayRoom {
  id: string;
  name: string;
  kind: string;
  policy: RoomPolicy;
  history?: HistoryVisibility | string;
  epoch: number;
  myRole: RoomRole | string;
  unread: number;
  /** ISO time of the newest message, null for a room nobody wrote in yet. */
  lastMessageAt: string | null;
  createdAt?: string;
}

export interface RoomMember {
  signPub: string;
  handle: string;
  role: RoomRole | string;
  status: string;
}

export interface GatewayRoomDetail extends GatewayRoom {
  members: RoomMember[];
}

export interface CreateRoomInput {
  name: string;
  policy?: Partial<RoomPolicy>;
  history?: HistoryVisibility;
}

/**
 * A file sent with a message: uploaded first (the gateway encrypts it with the room key and keeps it as a
 * blob), then named in the message. The page offers it as a download only, never shown inline.
 */
export interface MessageAttachment {
  /** The blob's id, for the download route. */
  id: string;
  name: string;
  /** Bytes. */
  size: number;
  /** The media type the sender gave; informative only (the download is always served as bytes). */
  type: string;
}

/** One message of a room, decrypted by the gateway. */
export interface RoomMessage {
  /** The frame's id (a ULID); also the SSE `id:` the stream resumes from. */
  id: string;
  /** The sender's endpoint id (never shown: the handle is). */
  sender: string;
  handle: string;
  body: string;
  /** When it was sent: epoch ms or an ISO string. */
  ts: number | string;
  mine: boolean;
  attachment?: MessageAttachment;
}

export interface SendMessageInput {
  body: string;
  attachment?: MessageAttachment;
}

export type RoomStreamState = 'waiting_for_key' | 'removed' | 'ok';

/** An identity on the allowlist (Settings → Bus), or one of the signed-in account's own devices. */
export interface BusUser {
  signPub: string;
  kexPub: string;
  endpointId: string;
  handle: string;
  role: BusRole;
  status: 'active' | 'revoked';
  /** The Homeport account that owns it; null for an identity added on its own (a CLI, an agent). */
  userId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface AddBusUserInput {
  signPub: string;
  kexPub: string;
  handle: string;
  role: BusRole;
}

export interface RegisterDeviceInput {
  signPub: string;
  kexPub: string;
  handle: string;
}

/** How the bus is exposed on this server. */
export interface BusStatus {
  auth: string;
  controlTls: boolean;
  busTls: boolean;
  dataPlane: boolean;
  store: string;
  replicas: number;
}
