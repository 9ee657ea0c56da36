// What the SDK hands its callers: the control plane's JSON shapes and a delivered message.

export interface RoomView {
  id: string;
  name: string;
  kind: 'chat' | 'agent';
  subject: string;
  policy: { encrypted: boolean; persisted: boolean; signed: boolean };
  rotation: { maxAgeMs: number | null; maxMessages: number | null };
  history: 'shared' | 'joined';
  retention: { maxMessages: number; maxBytes: number; maxAgeMs: number };
  ownerSignPub: string;
  epoch: number;
  epochStartedAt: string;
  createdAt: string;
  myRole: 'owner' | 'member';
  rekeyDue: boolean;
}

export interface MemberView {
  signPub: string;
  endpointId: string;
  kexPub: string;
  handle: string;
  role: 'owner' | 'member';
  status: 'active' | 'revoked' | 'unknown';
  joinedEpoch: number;
  addedAt: string;
}

export interface BusUserView {
  signPub: string;
  kexPub: string;
  endpointId: string;
  handle: string;
  role: 'admin' | 'member';
  status: 'active' | 'revoked';
  userId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface CredentialView {
  jwt: string;
  expiresAt: string;
  servers: string[];
  /** PEM CA of the member listener (the generated bus CA), to pin; absent on loopback or for a public CA. */
  ca?: string;
  inboxPrefix: string;
  controlSubject: string;
  rooms: string[];
}

export interface CreateRoomOptions {
  name: string;
  kind?: 'chat' | 'agent';
  policy?: { encrypted?: boolean; persisted?: boolean; signed?: boolean };
  history?: 'shared' | 'joined';
  rotation?: { maxAgeMs?: number | null; maxMessages?: number | null };
  retention?: { maxMessages?: number; maxBytes?: number; maxAgeMs?: number };
}

export interface BusMessage {
  /** The frame's ULID. */
  id: string;
  /** The sender's endpoint id. */
  sender: string;
  senderSignPub: string;
  /** The sender's handle on the allowlist. */
  handle: string;
  epoch: number;
  payload: Uint8Array;
  subject: string;
}

export type MessageHandler = (message: BusMessage) => void | Promise<void>;

/** What a message carries to point at an attachment: its hash and what its encryption is bound to. */
export interface BlobReference {
  hash: string;
  size: number;
  epoch: number;
  /** The id and sender the encryption is bound to (AEAD associated data, as for a frame). */
  id: string;
  sender: string;
}
