// LOCK/UNLOCK and the If header: scopes, depth, timeouts and expiry, token ownership, locked members, refresh.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@homeport/core';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type DavTestServer,
  LOCK_EXCLUSIVE,
  LOCK_SHARED,
  lockTokenOf,
  PREFIX,
  propfindBody,
  send,
  startDavServer,
} from './dav-server.js';

let now = Date.parse('2030-01-01T00:00:00Z');
let server: DavTestServer;
let seq = 0;

beforeAll(async () => {
  server = await startDavServer({ handler: { clock: () => now } });
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

/** A fresh file (and folder) per test, so locks from one test never meet another. */
let file: string;
let folder: string;
beforeEach(() => {
  seq += 1;
  file = `file-${seq}.txt`;
  folder = `folder-${seq}`;
  writeFileSync(join(server.root, file), 'content');
  mkdirSync(join(server.root, folder));
  writeFileSync(join(server.root, folder, 'member.txt'), 'member');
});

const lock = (path: string, body = LOCK_EXCLUSIVE, headers: Record<string, string> = {}) =>
  send(server, 'LOCK', `${PREFIX}${path}`, headers, body);
const put = (path: string, headers: Record<string, string> = {}) =>
  send(server, 'PUT', `${PREFIX}${path}`, headers, 'new');
const asBob = { 'X-Test-Principal': 'bob' };

describe('LOCK', () => {
  it('grants an exclusive lock with a urn:uuid token, lock discovery and the default timeout', async () => {
    const response = await lock(file);
    expect(response.status).toBe(200);
    const token = lockTokenOf(response);
    expect(token).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(response.text).toContain(`<D:href>${token}</D:href>`);
    expect(response.text).toContain('<D:timeout>Second-600</D:timeout>');
    expect(response.text).toContain('<D:owner>tester</D:owner>');
    expect(response.text).toContain(`<D:lockroot><D:href>${PREFIX}${file}</D:href></D:lockroot>`);
  });

  it('caps the timeout a client asks for, Infinite included', async () => {
    expect((await lock(file, LOCK_SHARED, { Timeout: 'Second-30' })).text).toContain('Second-30<');
    expect((await lock(file, LOCK_SHARED, { Timeout: 'Infinite, Second-4100000000' })).text).toContain(
      'Second-3600<',
    );
    expect((await lock(file, LOCK_SHARED, { Timeout: 'Second-999999' })).text).toContain('Second-3600<');
  });

  it('lets a lock expire after its timeout', async () => {
    await lock(file, LOCK_EXCLUSIVE, { Timeout: 'Second-60' });
    expect((await put(file)).status).toBe(423);
    now += 61_000;
    expect((await put(file)).status).toBe(204);
  });

  it('refuses writes without the token with 423 and lock-token-submitted', async () => {
    const token = lockTokenOf(await lock(file));
    const refused = await put(file);
    expect(refused.status).toBe(423);
    expect(refused.text).toContain(`<D:lock-token-submitted><D:href>${PREFIX}${file}</D:href>`);
    expect((await send(server, 'DELETE', `${PREFIX}${file}`)).status).toBe(423);
    expect(
      (await send(server, 'MOVE', `${PREFIX}${file}`, { Destination: `${PREFIX}elsewhere` })).status,
    ).toBe(423);
    expect((await put(file, { If: `(<${token}>)` })).status).toBe(204);
  });

  it('does not let another principal use the token', async () => {
    const token = lockTokenOf(await lock(file));
    expect((await put(file, { If: `(<${token}>)`, ...asBob })).status).toBe(423);
  });

  it('lets shared locks coexist and refuses an exclusive one next to them', async () => {
    const first = lockTokenOf(await lock(file, LOCK_SHARED));
    const second = await lock(file, LOCK_SHARED, asBob);
    expect(second.status).toBe(200);
    const exclusive = await lock(file, LOCK_EXCLUSIVE, asBob);
    expect(exclusive.status).toBe(423);
    expect(exclusive.text).toContain('no-conflicting-lock');
    // Either shared lock's owner may write with their own token.
    expect((await put(file, { If: `(<${first}>)` })).status).toBe(204);
    expect((await put(file, { If: `(<${lockTokenOf(second)}>)`, ...asBob })).status).toBe(204);
  });

  it('refuses a shared lock on an exclusively locked resource', async () => {
    await lock(file);
    expect((await lock(file, LOCK_SHARED, asBob)).status).toBe(423);
  });

  it('protects every member of a depth-infinity lock and refuses conflicting member locks', async () => {
    const token = lockTokenOf(await lock(`${folder}/`, LOCK_EXCLUSIVE, { Depth: 'infinity' }));
    expect((await put(`${folder}/member.txt`)).status).toBe(423);
    expect((await put(`${folder}/added.txt`)).status).toBe(423);
    expect((await send(server, 'MKCOL', `${PREFIX}${folder}/sub`)).status).toBe(423);
    expect((await lock(`${folder}/member.txt`, LOCK_EXCLUSIVE, asBob)).status).toBe(423);
    expect((await put(`${folder}/member.txt`, { If: `(<${token}>)` })).status).toBe(204);
    const tagged = `<http://127.0.0.1:${server.port}${PREFIX}${folder}/> (<${token}>)`;
    expect((await put(`${folder}/added.txt`, { If: tagged })).status).toBe(201);
  });

  it('refuses a depth-infinity lock over a member locked by someone else', async () => {
    await lock(`${folder}/member.txt`, LOCK_EXCLUSIVE, asBob);
    expect((await lock(`${folder}/`, LOCK_EXCLUSIVE, { Depth: 'infinity' })).status).toBe(423);
    expect((await lock(`${folder}/`, LOCK_EXCLUSIVE, { Depth: '0' })).status).toBe(200);
  });

  it('a depth-0 lock on a folder guards its membership, not its members', async () => {
    const token = lockTokenOf(await lock(`${folder}/`, LOCK_EXCLUSIVE, { Depth: '0' }));
    expect((await put(`${folder}/member.txt`)).status).toBe(204);
    expect((await put(`${folder}/added.txt`)).status).toBe(423);
    expect((await put(`${folder}/added.txt`, { If: `<${PREFIX}${folder}/> (<${token}>)` })).status).toBe(201);
  });

  it('answers DELETE of a folder with a locked member with 207, a 423 for the member, and deletes nothing', async () => {
    await lock(`${folder}/member.txt`, LOCK_EXCLUSIVE, asBob);
    const response = await send(server, 'DELETE', `${PREFIX}${folder}/`);
    expect(response.status).toBe(207);
    expect(response.text).toContain(
      `<D:href>${PREFIX}${folder}/member.txt</D:href><D:status>HTTP/1.1 423 Locked`,
    );
    expect(existsSync(join(server.root, folder, 'member.txt'))).toBe(true);
  });

  it('creates an empty file when locking an unmapped URL (201)', async () => {
    const response = await lock(`unmapped-${seq}.txt`);
    expect(response.status).toBe(201);
    expect(existsSync(join(server.root, `unmapped-${seq}.txt`))).toBe(true);
    expect((await lock(`no/parent-${seq}.txt`)).status).toBe(409);
  });

  it('refuses Depth: 1 and a malformed lockinfo with 400', async () => {
    expect((await lock(`${folder}/`, LOCK_EXCLUSIVE, { Depth: '1' })).status).toBe(400);
    expect((await lock(file, '<D:lockinfo xmlns:D="DAV:"><D:lockscope/></D:lockinfo>')).status).toBe(400);
  });
});

describe('refresh and UNLOCK', () => {
  it('refreshes with an empty body and the token in If, resetting the timeout', async () => {
    const token = lockTokenOf(await lock(file, LOCK_EXCLUSIVE, { Timeout: 'Second-100' }));
    now += 90_000;
    const refreshed = await send(server, 'LOCK', `${PREFIX}${file}`, {
      If: `(<${token}>)`,
      Timeout: 'Second-100',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.text).toContain('Second-100<');
    now += 90_000;
    expect((await put(file)).status).toBe(423);
  });

  it('refuses a refresh without If (400) or naming another lock (412)', async () => {
    await lock(file);
    expect((await send(server, 'LOCK', `${PREFIX}${file}`)).status).toBe(400);
    expect((await send(server, 'LOCK', `${PREFIX}${file}`, { If: '(<urn:uuid:not-mine>)' })).status).toBe(
      412,
    );
  });

  it('unlocks only with a matching token, and only for the lock owner', async () => {
    const token = lockTokenOf(await lock(file));
    const unlock = (headers: Record<string, string>) => send(server, 'UNLOCK', `${PREFIX}${file}`, headers);
    expect((await unlock({ 'Lock-Token': '<urn:uuid:bogus>' })).status).toBe(409);
    expect((await unlock({})).status).toBe(400);
    expect((await unlock({ 'Lock-Token': `<${token}>`, ...asBob })).status).toBe(403);
    expect((await unlock({ 'Lock-Token': `<${token}>` })).status).toBe(204);
    expect((await put(file)).status).toBe(204);
  });

  it("lets an admin remove another principal's lock with its token, on a file and on the export root", async () => {
    const asAdmin = { 'X-Test-Principal': 'root-admin', 'X-Test-Admin': 'yes' };
    const token = lockTokenOf(await lock(file));
    const unlockFile = (headers: Record<string, string>) =>
      send(server, 'UNLOCK', `${PREFIX}${file}`, headers);
    // A non-admin other principal still cannot; an admin without the right token cannot either.
    expect((await unlockFile({ 'Lock-Token': `<${token}>`, ...asBob })).status).toBe(403);
    expect((await unlockFile({ 'Lock-Token': '<urn:uuid:bogus>', ...asAdmin })).status).toBe(409);
    expect((await unlockFile({ 'Lock-Token': `<${token}>`, ...asAdmin })).status).toBe(204);
    expect((await put(file, asBob)).status).toBe(204);

    // A depth-infinity lock on the export root blocks every write in the export until it is broken (on an
    // export of its own: the other tests' locks would conflict with it).
    const own = await startDavServer();
    try {
      const rootToken = lockTokenOf(await send(own, 'LOCK', PREFIX, { Depth: 'infinity' }, LOCK_EXCLUSIVE));
      const putAsBob = () => send(own, 'PUT', `${PREFIX}new.txt`, asBob, 'new');
      expect((await putAsBob()).status).toBe(423);
      const unlockRoot = (headers: Record<string, string>) =>
        send(own, 'UNLOCK', PREFIX, { 'Lock-Token': `<${rootToken}>`, ...headers });
      expect((await unlockRoot(asBob)).status).toBe(403);
      expect((await unlockRoot(asAdmin)).status).toBe(204);
      expect((await putAsBob()).status).toBe(201);
    } finally {
      await own.close();
    }
  });

  it('does not move locks with MOVE or copy them with COPY', async () => {
    const token = lockTokenOf(await lock(file));
    expect(
      (await send(server, 'COPY', `${PREFIX}${file}`, { Destination: `${PREFIX}${file}.copy` })).status,
    ).toBe(201);
    const moved = await send(server, 'MOVE', `${PREFIX}${file}`, {
      Destination: `${PREFIX}${file}.moved`,
      If: `(<${token}>)`,
    });
    expect(moved.status).toBe(201);
    for (const name of [`${file}.copy`, `${file}.moved`]) {
      const found = await send(
        server,
        'PROPFIND',
        `${PREFIX}${name}`,
        { Depth: '0' },
        propfindBody('lockdiscovery'),
      );
      expect(found.text).toContain('<D:lockdiscovery/>');
    }
    expect((await put(file)).status).toBe(201);
  });

  it('keeps locks in the database across handlers', async () => {
    const db = openDatabase(':memory:');
    const first = await startDavServer({ db });
    writeFileSync(join(first.root, 'kept.txt'), 'x');
    lockTokenOf(await send(first, 'LOCK', `${PREFIX}kept.txt`, {}, LOCK_EXCLUSIVE));
    await first.close();
    const second = await startDavServer({ db, root: first.root });
    expect((await send(second, 'PUT', `${PREFIX}kept.txt`, {}, 'y')).status).toBe(423);
    await second.close();
  });
});

describe('If header', () => {
  const etagOf = async (path: string) => {
    const etag = (await send(server, 'HEAD', `${PREFIX}${path}`)).headers.etag;
    return typeof etag === 'string' ? etag : '';
  };

  it('answers 412 when no list holds, and proceeds when one does', async () => {
    const etag = await etagOf(file);
    expect((await put(file, { If: '(["stale"])' })).status).toBe(412);
    expect((await put(file, { If: '(<DAV:no-lock>)' })).status).toBe(412);
    expect((await put(file, { If: '(Not <DAV:no-lock>)' })).status).toBe(204);
    expect((await put(file, { If: `(["stale"]) ([${await etagOf(file)}])` })).status).toBe(204);
    expect(etag).not.toBe('');
  });

  it('evaluates tagged lists against the resource they name', async () => {
    const other = `other-${seq}.txt`;
    writeFileSync(join(server.root, other), 'other');
    const otherEtag = await etagOf(other);
    expect((await put(file, { If: `<${PREFIX}${other}> ([${otherEtag}])` })).status).toBe(204);
    expect((await put(file, { If: `<${PREFIX}${other}> (["stale"])` })).status).toBe(412);
    // A tag outside this export has no state: only Not conditions can hold for it.
    expect((await put(file, { If: '</elsewhere/x> (Not ["x"])' })).status).toBe(204);
  });

  it('answers 400 to a malformed If header', async () => {
    for (const value of ['(', '<urn:x>', '(<a> [b])', 'garbage', '(<a>) <urn:tag> (<b>)']) {
      expect((await put(file, { If: value })).status, value).toBe(400);
    }
  });

  it('answers 423 (not 412) when the header holds but omits the lock token (litmus cond_put_corrupt_token)', async () => {
    const token = lockTokenOf(await lock(file));
    expect((await put(file, { If: `(<${token}x>) (Not <DAV:no-lock>)` })).status).toBe(423);
  });
});
