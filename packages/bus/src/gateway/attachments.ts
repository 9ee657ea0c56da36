// Attachments through the gateway: the bytes are encrypted with the room's current key, bound (as the SDK's
// putBlob binds them) to the room, the epoch, the account's endpoint id and a fresh ULID, and kept by the
// blob service; the id the browser gets names all four, so any member holding that epoch's key can open it.
// Downloads are bytes to save, never content a browser would render or run.

import { MAX_BLOB_BYTES } from '../control/blobs.js';
import { decryptPayload, encryptPayload, NONCE_BYTES, TAG_BYTES, ulid } from '../crypto/index.js';
import { BusError } from '../errors.js';
import { actingAs, type GatewayContext, membership } from './context.js';
import { GatewayError } from './errors.js';
import type { GatewayAccount } from './identities.js';
import { ATTACHMENT_ID, MEDIA_TYPE, type MessageAttachment, safeFileName } from './message.js';

/** The largest file the gateway takes: what still fits the blob cap once encrypted (nonce and tag added). */
export const MAX_ATTACHMENT_BYTES = MAX_BLOB_BYTES - NONCE_BYTES - TAG_BYTES;

export function createGatewayAttachments(ctx: GatewayContext) {
  const { service, keys } = ctx;

  return {
    /**
     * Refuses, before the body is read, an upload of `declaredBytes` (the request's Content-Length) that would
     * pass the room's blob quota. The blob service checks again with what is stored.
     */
    async admit(account: GatewayAccount, roomId: string, declaredBytes: number): Promise<void> {
      const { viewer } = await actingAs(ctx, account);
      const { room } = await membership(ctx, viewer, roomId);
      const stored = room.policy.encrypted ? declaredBytes + NONCE_BYTES + TAG_BYTES : declaredBytes;
      await ctx.blobs?.admit(roomId, stored);
    },

    async put(
      account: GatewayAccount,
      roomId: string,
      bytes: Buffer,
      file: { name: string; type: string | undefined },
    ): Promise<MessageAttachment> {
      const { viewer, signer } = await actingAs(ctx, account);
      const { room } = await membership(ctx, viewer, roomId);
      if (bytes.byteLength === 0) throw new GatewayError('gateway_bad_attachment', 'The file is empty');
      const type =
        file.type !== undefined && MEDIA_TYPE.test(file.type)
          ? file.type.toLowerCase()
          : 'application/octet-stream';
      const header = { v: 1 as const, roomId, epoch: room.epoch, sender: viewer.endpointId, id: ulid() };
      let stored: Uint8Array = bytes;
      if (room.policy.encrypted) {
        const key = await keys.open(viewer, roomId, room.epoch);
        if (!key)
          throw new GatewayError('gateway_waiting_for_key', 'The room’s current key has not reached you yet');
        stored = encryptPayload(key, header, bytes);
      }
      const { hash } = await service.putBlob(signer, roomId, Buffer.from(stored));
      return {
        id: `${hash}.${header.epoch}.${header.id}.${header.sender}`,
        name: safeFileName(file.name),
        size: bytes.byteLength,
        type,
      };
    },

    async get(account: GatewayAccount, roomId: string, attachmentId: string): Promise<Uint8Array> {
      const { viewer, signer } = await actingAs(ctx, account);
      const { room } = await membership(ctx, viewer, roomId);
      if (!ATTACHMENT_ID.test(attachmentId))
        throw new GatewayError('gateway_bad_attachment', 'Not an attachment id');
      const [hash, epochText, id, sender] = attachmentId.split('.') as [string, string, string, string]; // matched above
      const epoch = Number(epochText);
      const stored = await service.getBlob(signer, roomId, hash);
      if (!room.policy.encrypted) return stored;
      const epochs = await keys.epochsOf(roomId, viewer.signPub);
      if (!epochs.has(epoch))
        throw new BusError('bus_not_found', 'This attachment is from before you joined the room');
      const key = await keys.open(viewer, roomId, epoch);
      const opened = key && decryptPayload(key, { v: 1, roomId, epoch, sender, id }, stored);
      if (!opened)
        throw new GatewayError(
          'gateway_attachment_unopenable',
          'This attachment does not open with the room key',
        );
      return opened;
    },
  };
}

export type GatewayAttachments = ReturnType<typeof createGatewayAttachments>;
