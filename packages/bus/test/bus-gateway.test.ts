// The browser gateway over real HTTP on a real nats-server: two accounts in one room through their sessions,
// the stream's echo, resume after Last-Event-ID, who is refused what, streams ending with their grant,
// attachments, and one bus subscription per room however many streams it has.

import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { ADMIN_PASSWORD } from '@homeport/accounts/testing';
import { until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusClient } from '../src/client/index.js';
import {
  generateIdentity,
  newRoomKey,
  sealRoomKey,
  signPubHex,
  signRequest,
  toBase64Url,
  toHex,
} from '../src/crypto/index.js';
import { type GatewayHomeport, startGatewayHomeport } from './support/bus-gateway.js';

let h: GatewayHomeport;
beforeAll(async () => {
  // The timer's re-check is out of reach here: sign-out, disablement and removal must end streams on their
  // own notices. Subscriptions close as soon as unused.
  h = await startGatewayHomeport({ recheckMs: 10 * 60_000, lingerMs: 0 });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const message = (data: string) =>
  JSON.parse(data) as { id: string; body: string; mine: boolean; handle: string };

async function roomOf(ownerToken: string, name: string, extra: Record<string, unknown> = {}) {
  const created = await h.api(ownerToken, 'POST', '/rooms', { name, ...extra });
  expect(created.status).toBe(201);
  return created.json as { id: string; epoch: number };
}

describe('gateway rooms and streams', () => {
  it('delivers A’s message to B and A’s own echo to A with the same id', async () => {
    const alice = await h.account('alice');
    const bob = await h.account('bob');
    const me = await h.api(alice.token, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.json.handle).toBe('alice');
    expect(me.json.signPub).toMatch(/^[0-9a-f]{64}$/);

    const room = await roomOf(alice.token, 'general');
    expect((await h.api(alice.token, 'POST', `/rooms/${room.id}/members`, { username: 'bob' })).status).toBe(
      200,
    );
    const detail = await h.api(bob.token, 'GET', `/rooms/${room.id}`);
    expect(detail.status).toBe(200);
    expect(detail.json.members.map((member: { handle: string }) => member.handle).sort()).toEqual([
      'alice',
      'bob',
    ]);

    const aliceStream = await h.stream(alice.token, room.id);
    const bobStream = await h.stream(bob.token, room.id);
    expect(aliceStream.status).toBe(200);
    expect(aliceStream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(aliceStream.headers.get('x-accel-buffering')).toBe('no');
    expect(aliceStream.headers.get('cache-control')).toMatch(/no-cache/);
    await aliceStream.waitFor((event) => event.type === 'state' && JSON.parse(event.data).state === 'ok');
    await bobStream.waitFor((event) => event.type === 'state');

    const sent = await h.api(alice.token, 'POST', `/rooms/${room.id}/messages`, { body: 'hello bob' });
    expect(sent.status).toBe(202);
    const atBob = await bobStream.waitFor((event) => event.type === 'message');
    const atAlice = await aliceStream.waitFor((event) => event.type === 'message');
    expect(atBob.id).toBe(sent.json.id);
    expect(atAlice.id).toBe(sent.json.id);
    expect(message(atBob.data)).toMatchObject({
      id: sent.json.id,
      body: 'hello bob',
      handle: 'alice',
      mine: false,
    });
    expect(message(atAlice.data)).toMatchObject({ id: sent.json.id, body: 'hello bob', mine: true });

    // Scrollback (oldest first) and unread counts from the persisted stream.
    const second = await h.api(bob.token, 'POST', `/rooms/${room.id}/messages`, { body: 'hi alice' });
    await aliceStream.waitFor((event) => event.id === second.json.id);
    const page = await h.api(alice.token, 'GET', `/rooms/${room.id}/messages?limit=10`);
    expect(page.json.map((each: { body: string }) => each.body)).toEqual(['hello bob', 'hi alice']);
    const older = await h.api(alice.token, 'GET', `/rooms/${room.id}/messages?before=${second.json.id}`);
    expect(older.json.map((each: { id: string }) => each.id)).toEqual([sent.json.id]);
    const bobRooms = await h.api(bob.token, 'GET', '/rooms');
    expect(bobRooms.json).toEqual([expect.objectContaining({ id: room.id, unread: 1 })]);
    expect(bobRooms.json[0].lastMessageAt).toEqual(expect.any(String));
    expect((await h.api(bob.token, 'POST', `/rooms/${room.id}/read`, { upTo: sent.json.id })).status).toBe(
      204,
    );
    expect((await h.api(bob.token, 'GET', '/rooms')).json[0].unread).toBe(0);
  });

  it('answers an empty page for a persisted room nobody wrote in yet, and its stream starts', async () => {
    const quinn = await h.account('quinn');
    const room = await roomOf(quinn.token, 'quiet');
    const page = await h.api(quinn.token, 'GET', `/rooms/${room.id}/messages?limit=50`);
    expect(page.status).toBe(200);
    expect(page.json).toEqual([]);
    const listed = await h.api(quinn.token, 'GET', '/rooms');
    expect(listed.json.find((entry: { id: string }) => entry.id === room.id)).toMatchObject({ unread: 0 });
    const stream = await h.stream(quinn.token, room.id);
    await stream.waitFor((event) => event.type === 'state');
  });

  it('resumes after Last-Event-ID with exactly the messages missed', async () => {
    const carol = await h.account('carol');
    const room = await roomOf(carol.token, 'resume');
    const ids: string[] = [];
    for (const body of ['one', 'two', 'three', 'four', 'five'])
      ids.push((await h.api(carol.token, 'POST', `/rooms/${room.id}/messages`, { body })).json.id);
    const resumed = await h.stream(carol.token, room.id, ids[1]);
    await resumed.waitFor((event) => event.id === ids[4]);
    const live = await h.api(carol.token, 'POST', `/rooms/${room.id}/messages`, { body: 'six' });
    await resumed.waitFor((event) => event.id === live.json.id);
    const got = resumed.events
      .filter((event) => event.type === 'message')
      .map((event) => message(event.data).body);
    expect(got).toEqual(['three', 'four', 'five', 'six']);
  });

  it('answers a non-member 403 on every room route, as for a room that does not exist, and 401 without a session', async () => {
    const dave = await h.account('dave');
    const eve = await h.account('eve');
    const room = await roomOf(dave.token, 'private');
    const sent = await h.api(dave.token, 'POST', `/rooms/${room.id}/messages`, { body: 'secret' });
    const daveMe = await h.api(dave.token, 'GET', '/me');
    const blob = `${'a'.repeat(64)}.1.${sent.json.id}.${'A'.repeat(43)}`;
    const routes: [string, string, unknown?][] = [
      ['GET', `/rooms/${room.id}`],
      ['POST', `/rooms/${room.id}/members`, { username: 'eve' }],
      ['POST', `/rooms/${room.id}/members/${daveMe.json.signPub}/remove`, {}],
      ['GET', `/rooms/${room.id}/messages`],
      ['POST', `/rooms/${room.id}/messages`, { body: 'intruder' }],
      ['POST', `/rooms/${room.id}/read`, { upTo: sent.json.id }],
      ['GET', `/rooms/${room.id}/attachments/${blob}`],
      ['GET', `/rooms/${room.id}/stream`],
    ];
    for (const roomId of [room.id, 'aaaaaaaaaaaaaaaaaaaa', 'not-a-room'])
      for (const [method, path, body] of routes) {
        const answer = await h.api(eve.token, method, path.replace(room.id, roomId), body);
        expect([method, path, roomId, answer.status]).toEqual([method, path, roomId, 403]);
      }
    const upload = await fetch(`${h.url}/api/v1/bus/gateway/rooms/${room.id}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${eve.token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('x'),
    });
    expect(upload.status).toBe(403);
    // A non-member is refused before the server reads what it declared it would send.
    expect(await statusBeforeBody(`/rooms/${room.id}/attachments`, eve.token, 8 * 1024 * 1024)).toBe(403);
    for (const [method, path, body] of [['GET', '/me'], ['GET', '/rooms'], ...routes] as [
      string,
      string,
      unknown?,
    ][])
      expect([path, (await h.api(undefined, method, path, body)).status]).toEqual([path, 401]);
    // What eve sees of the room: nothing, and her room list stays empty.
    expect((await h.api(eve.token, 'GET', '/rooms')).json).toEqual([]);
  });

  it('tells a removed member’s stream `removed`, then ends it; the others move to the next epoch', async () => {
    const frank = await h.account('frank');
    const grace = await h.account('grace');
    const room = await roomOf(frank.token, 'removal');
    await h.api(frank.token, 'POST', `/rooms/${room.id}/members`, { username: 'grace' });
    const graceStream = await h.stream(grace.token, room.id);
    const frankStream = await h.stream(frank.token, room.id);
    await graceStream.waitFor((event) => event.type === 'state');
    await frankStream.waitFor((event) => event.type === 'state');
    const graceMe = await h.api(grace.token, 'GET', '/me');
    const removed = await h.api(
      frank.token,
      'POST',
      `/rooms/${room.id}/members/${graceMe.json.signPub}/remove`,
      {},
    );
    expect(removed.status).toBe(204);
    const last = await graceStream.waitFor(
      (event) => event.type === 'state' && JSON.parse(event.data).state === 'removed',
    );
    await graceStream.ended;
    expect(graceStream.events.at(-1)).toBe(last);
    expect((await h.api(grace.token, 'GET', `/rooms/${room.id}/messages`)).status).toBe(403);
    // The owner writes on under epoch 2, sealed to him alone.
    expect((await h.api(frank.token, 'GET', `/rooms/${room.id}`)).json.epoch).toBe(2);
    const after = await h.api(frank.token, 'POST', `/rooms/${room.id}/messages`, { body: 'after' });
    await frankStream.waitFor((event) => event.id === after.json.id);
  });

  it('ends the stream when its session is signed out', async () => {
    const heidi = await h.account('heidi');
    const room = await roomOf(heidi.token, 'session');
    const stream = await h.stream(heidi.token, room.id);
    await stream.waitFor((event) => event.type === 'state');
    const logout = await fetch(`${h.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${heidi.token}` },
    });
    expect(logout.status).toBe(204);
    await stream.ended;
    expect((await h.stream(heidi.token, room.id)).status).toBe(401);
  });

  it('round-trips an attachment encrypted with the room key, refuses an oversized one unread, and serves it as bytes', async () => {
    const ivan = await h.account('ivan');
    const judy = await h.account('judy');
    const room = await roomOf(ivan.token, 'files');
    await h.api(ivan.token, 'POST', `/rooms/${room.id}/members`, { username: 'judy' });
    const bytes = Buffer.from('<html><script>alert(1)</script></html> — a file to save, not to run');
    const uploaded = await fetch(`${h.url}/api/v1/bus/gateway/rooms/${room.id}/attachments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ivan.token}`,
        'content-type': 'application/octet-stream',
        'x-file-name': encodeURIComponent('../résumé.html'),
        'x-file-type': 'text/html',
      },
      body: bytes,
    });
    expect(uploaded.status).toBe(201);
    const attachment = (await uploaded.json()) as { id: string; name: string; size: number; type: string };
    expect(attachment).toMatchObject({ name: '.._résumé.html', size: bytes.length, type: 'text/html' });

    const judyStream = await h.stream(judy.token, room.id);
    await judyStream.waitFor((event) => event.type === 'state');
    const sent = await h.api(ivan.token, 'POST', `/rooms/${room.id}/messages`, {
      body: 'see attached',
      attachment,
    });
    expect(sent.status).toBe(202);
    const got = await judyStream.waitFor((event) => event.id === sent.json.id);
    expect(JSON.parse(got.data).attachment).toEqual(attachment);

    const download = await fetch(
      `${h.url}/api/v1/bus/gateway/rooms/${room.id}/attachments/${encodeURIComponent(attachment.id)}`,
      { headers: { authorization: `Bearer ${judy.token}` } },
    );
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    // The blob service keeps ciphertext only.
    const hash = attachment.id.split('.')[0] as string;
    const stored = await h.bus.blobs?.get(room.id, hash);
    expect(Buffer.from(stored ?? []).includes(Buffer.from('<script>'))).toBe(false);

    // A tampered reference (another sender named) does not open.
    const [, epoch, id] = attachment.id.split('.');
    const forged = `${hash}.${epoch}.${id}.${'B'.repeat(43)}`;
    const refused = await h.api(judy.token, 'GET', `/rooms/${room.id}/attachments/${forged}`);
    expect(refused.status).toBe(422);

    // Over the cap: answered from the declared length, before a byte of the body is sent.
    const status = await statusBeforeBody(`/rooms/${room.id}/attachments`, ivan.token, 16 * 1024 * 1024 + 1);
    expect(status).toBe(413);
  });

  it('serves two streams of one room from one bus subscription', async () => {
    const ken = await h.account('ken');
    const room = await roomOf(ken.token, 'shared');
    const before = h.bus.gateway?.stats();
    const first = await h.stream(ken.token, room.id);
    const second = await h.stream(ken.token, room.id);
    await first.waitFor((event) => event.type === 'state');
    await second.waitFor((event) => event.type === 'state');
    const during = h.bus.gateway?.stats();
    expect(during?.streams).toBe((before?.streams ?? 0) + 2);
    expect(during?.roomSubscriptions).toBe((before?.roomSubscriptions ?? 0) + 1);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`homeport_bus_gateway_room_subscriptions ${during?.roomSubscriptions}\\b`),
    );
    expect(metrics).toMatch(new RegExp(`homeport_bus_gateway_streams ${during?.streams}\\b`));
    const sent = await h.api(ken.token, 'POST', `/rooms/${room.id}/messages`, { body: 'to both' });
    await first.waitFor((event) => event.id === sent.json.id);
    await second.waitFor((event) => event.id === sent.json.id);
    first.close();
    second.close();
    await first.ended;
    await second.ended;
  });
});

describe('gateway keys, ephemeral rooms and account changes', () => {
  it('says waiting_for_key while the account holds no key of the current epoch that opens, and ok once it does', async () => {
    const lena = await h.account('lena');
    const lenaMe = (await h.api(lena.token, 'GET', '/me')).json as { signPub: string };
    const bot = generateIdentity();
    const botPub = signPubHex(bot);
    await h.bus.service.addUser({
      signPub: botPub,
      kexPub: toHex(bot.kexPub),
      handle: 'bot',
      role: 'member',
      userId: null,
    });
    const sdk = BusClient.create({ controlUrls: [h.url], identity: bot });
    try {
      const room = await sdk.createRoom({ name: 'keys' });
      await sdk.invite(room.id, lenaMe.signPub);
      const stream = await h.stream(lena.token, room.id);
      await stream.waitFor((event) => event.type === 'state' && JSON.parse(event.data).state === 'ok');

      // A member seals junk to lena for epoch 2: the server cannot tell, it never opens keys.
      const botSealed = await sealRoomKey(bot.kexPub, newRoomKey(), {
        roomId: room.id,
        epoch: 2,
        recipientSignPubHex: botPub,
      });
      await sdk.control.call('POST', `/rooms/${room.id}/rekey`, {
        epoch: 1,
        sealedKeys: [
          { signPub: botPub, sealed: toBase64Url(botSealed) },
          { signPub: lenaMe.signPub, sealed: toBase64Url(randomBytes(80)) },
        ],
      });
      const waiting = await stream.waitFor(
        (event) => event.type === 'state' && JSON.parse(event.data).state === 'waiting_for_key',
      );
      expect(await metric('homeport_bus_waiting_for_key')).toBeGreaterThanOrEqual(1);
      const refused = await h.api(lena.token, 'POST', `/rooms/${room.id}/messages`, { body: 'anyone?' });
      expect(refused.status).toBe(409);
      expect(refused.json.error.code).toBe('gateway_waiting_for_key');

      // An honest rekey seals epoch 3 to every member: lena reads again.
      await sdk.rekey(room.id);
      const from = stream.events.indexOf(waiting) + 1;
      await stream.waitFor(
        (event) => event.type === 'state' && JSON.parse(event.data).state === 'ok',
        10_000,
        from,
      );
      const id = await sdk.publish(room.id, 'welcome back');
      const got = await stream.waitFor((event) => event.id === id);
      expect(message(got.data)).toMatchObject({ body: 'welcome back', handle: 'bot', mine: false });

      // A frame that is not one is refused and counted, and the stream goes on.
      const before = (await metric('homeport_bus_decrypt_failures_total', 'malformed')) ?? 0;
      (await sdk.connect()).publish(`bus.room.${room.id}.msg`, 'not a frame');
      await until(
        async () => ((await metric('homeport_bus_decrypt_failures_total', 'malformed')) ?? 0) > before,
      );
      const next = await sdk.publish(room.id, 'still here');
      await stream.waitFor((event) => event.id === next);
    } finally {
      await sdk.close();
    }
  });

  it('keeps what an ephemeral room’s subscription saw for scrollback and resume', async () => {
    const mia = await h.account('mia');
    const room = await roomOf(mia.token, 'ephemeral', { policy: { persisted: false } });
    const stream = await h.stream(mia.token, room.id);
    await stream.waitFor((event) => event.type === 'state');
    const ids: string[] = [];
    for (const body of ['a', 'b', 'c']) {
      const sent = await h.api(mia.token, 'POST', `/rooms/${room.id}/messages`, { body });
      ids.push(sent.json.id);
      await stream.waitFor((event) => event.id === sent.json.id);
    }
    const page = await h.api(mia.token, 'GET', `/rooms/${room.id}/messages?limit=2`);
    expect(page.json.map((each: { body: string }) => each.body)).toEqual(['b', 'c']);
    const resumed = await h.stream(mia.token, room.id, ids[0]);
    await resumed.waitFor((event) => event.id === ids[2]);
    expect(
      resumed.events.filter((event) => event.type === 'message').map((event) => message(event.data).body),
    ).toEqual(['b', 'c']);
    expect((await h.api(mia.token, 'GET', '/rooms')).json[0]).toMatchObject({ id: room.id, unread: 0 });
  });

  it('ends the streams of an account that is disabled; enabled again, it has its identity and rooms back', async () => {
    const nina = await h.account('nina');
    const room = await roomOf(nina.token, 'disabled');
    const stream = await h.stream(nina.token, room.id);
    await stream.waitFor((event) => event.type === 'state');
    const patched = await fetch(`${h.url}/api/v1/users/${nina.userId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'disabled' }),
    });
    expect(patched.status).toBe(200);
    await stream.ended;
    expect((await h.api(nina.token, 'GET', '/rooms')).status).toBe(401);
    // Enabled again and signed in again: the same identity, its rooms, its history.
    const enabled = await fetch(`${h.url}/api/v1/users/${nina.userId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'active' }),
    });
    expect(enabled.status).toBe(200);
    const token = await h.t.login('nina', `${ADMIN_PASSWORD}-nina`);
    const rooms = await h.api(token, 'GET', '/rooms');
    expect(rooms.status).toBe(200);
    expect(rooms.json.map((entry: { id: string }) => entry.id)).toEqual([room.id]);
    const again = await h.stream(token, room.id);
    await again.waitFor((event) => event.type === 'state' && event.data.includes('"ok"'));
    const sent = await h.api(token, 'POST', `/rooms/${room.id}/messages`, { body: 'back' });
    expect(sent.status).toBe(202);
    await again.waitFor((event) => event.id === sent.json.id);
  });

  it("refuses a disabled account's device identities (account_disabled) and takes them back when it is enabled", async () => {
    const olaf = await h.account('olaf');
    const device = generateIdentity();
    const registered = await fetch(`${h.url}/api/v1/bus/identities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${olaf.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        signPub: signPubHex(device),
        kexPub: toHex(device.kexPub),
        handle: 'olaf-laptop',
      }),
    });
    expect(registered.status).toBe(201);
    const signedRooms = async () => {
      const path = '/api/v1/bus/rooms';
      const headers = signRequest(device, { method: 'GET', path, body: new Uint8Array(0) });
      const response = await fetch(`${h.url}${path}`, { headers });
      return { status: response.status, json: (await response.json()) as { error?: { reason?: string } } };
    };
    expect((await signedRooms()).status).toBe(200);
    const setStatus = (status: string) =>
      fetch(`${h.url}/api/v1/users/${olaf.userId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status }),
      });
    expect((await setStatus('disabled')).status).toBe(200);
    const refused = await signedRooms();
    expect(refused.status).toBe(401);
    expect(refused.json.error?.reason).toBe('account_disabled');
    expect((await setStatus('active')).status).toBe(200);
    expect((await signedRooms()).status).toBe(200);
  });

  it('a new password revokes the devices registered with the old one, unless API tokens are kept; the gateway identity stays', async () => {
    const pia = await h.account('pia');
    const register = async (token: string, handle: string) => {
      const device = generateIdentity();
      const response = await fetch(`${h.url}/api/v1/bus/identities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ signPub: signPubHex(device), kexPub: toHex(device.kexPub), handle }),
      });
      expect(response.status).toBe(201);
      return device;
    };
    const statusOf = async (device: ReturnType<typeof generateIdentity>) => {
      const path = '/api/v1/bus/rooms';
      const headers = signRequest(device, { method: 'GET', path, body: new Uint8Array(0) });
      return (await fetch(`${h.url}${path}`, { headers })).status;
    };
    const newPassword = (password: string, keepApiTokens?: boolean) =>
      fetch(`${h.url}/api/v1/users/${pia.userId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ password, ...(keepApiTokens === undefined ? {} : { keepApiTokens }) }),
      });
    const room = await roomOf(pia.token, 'after reset');
    const kept = await register(pia.token, 'pia-phone');
    expect((await newPassword(`${ADMIN_PASSWORD}-pia-2`, true)).status).toBe(200);
    expect(await statusOf(kept)).toBe(200);

    const token = await h.t.login('pia', `${ADMIN_PASSWORD}-pia-2`);
    const dropped = await register(token, 'pia-laptop');
    expect((await newPassword(`${ADMIN_PASSWORD}-pia-3`)).status).toBe(200);
    expect(await statusOf(kept)).toBe(401);
    expect(await statusOf(dropped)).toBe(401);
    // The browser, signed in with the new password, still has its rooms.
    const after = await h.t.login('pia', `${ADMIN_PASSWORD}-pia-3`);
    const rooms = await h.api(after, 'GET', '/rooms');
    expect(rooms.status).toBe(200);
    expect(rooms.json.map((entry: { id: string }) => entry.id)).toEqual([room.id]);
  });

  it('cuts a stream whose client stops reading instead of buffering for it without bound', async () => {
    const pat = await h.account('pat');
    const room = await roomOf(pat.token, 'slow', { policy: { persisted: false } });
    const slow = await h.stream(pat.token, room.id);
    const reader = await h.stream(pat.token, room.id);
    await slow.waitFor((event) => event.type === 'state');
    await reader.waitFor((event) => event.type === 'state');
    const open = () => h.bus.gateway?.stats().streams ?? 0;
    const before = open();
    slow.pause();
    const big = 'x'.repeat(60_000);
    let last = '';
    for (let round = 0; round < 1000 && open() === before; round++)
      last = (await h.api(pat.token, 'POST', `/rooms/${room.id}/messages`, { body: big })).json.id;
    // The server let go of it (its client, not reading, cannot even see the close yet).
    expect(open()).toBe(before - 1);
    slow.close();
    // The other stream of the room kept up and is still served.
    await reader.waitFor((event) => event.id === last, 30_000);
    const after = await h.api(pat.token, 'POST', `/rooms/${room.id}/messages`, { body: 'still there' });
    await reader.waitFor((event) => event.id === after.json.id);
  }, 60_000);

  it('caps the streams an account may hold open, and the re-check ends one whose identity an admin revoked', async () => {
    const small = await startGatewayHomeport({ maxStreamsPerAccount: 1, recheckMs: 300 });
    try {
      const olga = await small.account('olga');
      const created = await small.api(olga.token, 'POST', '/rooms', { name: 'one' });
      const first = await small.stream(olga.token, created.json.id);
      await first.waitFor((event) => event.type === 'state');
      const second = await small.stream(olga.token, created.json.id);
      expect(second.status).toBe(429);
      first.close();
      await first.ended;
      await until(async () => small.bus.gateway?.stats().streams === 0);
      const third = await small.stream(olga.token, created.json.id);
      expect(third.status).toBe(200);
      await third.waitFor((event) => event.type === 'state');
      // Revoked on the allowlist: no notice reaches the gateway, its timer finds out.
      const me = await small.api(olga.token, 'GET', '/me');
      await small.bus.service.revokeUser(me.json.signPub);
      await third.ended;
      expect((await small.api(olga.token, 'GET', '/rooms')).json.error.code).toBe('gateway_identity_revoked');
    } finally {
      await small.close();
    }
  }, 60_000);
});

/** The status answered to a POST of `length` declared bytes of which none is sent (so: before reading). */
function statusBeforeBody(path: string, token: string, length: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const request = httpRequest(`${h.url}/api/v1/bus/gateway${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(length),
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    request.on('error', (error) => {
      // The server may close the socket right after answering; the answer is what counts.
      if (!('code' in error && error.code === 'ECONNRESET')) reject(error);
    });
    request.flushHeaders();
  });
}

/** A sample of the server's /metrics (a label value picks one series), or undefined when absent. */
async function metric(name: string, reason?: string): Promise<number | undefined> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const series = reason === undefined ? name : `${name}{reason="${reason}"}`;
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
