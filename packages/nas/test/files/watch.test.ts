// `GET <folder>/?watch`: an event when the folder's direct contents change, and the stream's end when the
// credential that opened it is revoked or expires; caps per credential.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { removeTempDirs, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type FilesAgent, MOUNT, startFilesAgent, usernameOf } from './files-agent.js';

let agent: FilesAgent;

beforeAll(async () => {
  // A short debounce and keep-alive so the tests see both without waiting long.
  agent = await startFilesAgent({ watch: { debounceMs: 50, keepAliveMs: 300, perCredential: 2 } });
  mkdirSync(join(agent.root, 'watched'));
  writeFileSync(join(agent.root, 'watched', 'old.txt'), 'old');
});

afterAll(async () => {
  await agent.close();
  removeTempDirs();
});

interface Stream {
  status: number;
  headers: IncomingMessage['headers'];
  text(): string;
  ended(): boolean;
  close(): void;
}

function openStream(path: string, headers: Record<string, string>, port = agent.port): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'GET', path, headers, agent: false },
      (res) => {
        let text = '';
        let ended = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          ended = true;
        });
        res.on('close', () => {
          ended = true;
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: () => text,
          ended: () => ended,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const events = (stream: Stream) =>
  stream
    .text()
    .split('\n\n')
    .filter((block) => block.startsWith('event: changed'));

describe('?watch', () => {
  it('sends `changed` when a file is created, and again when one is deleted', async () => {
    const token = agent.token();
    const stream = await openStream(`${MOUNT}watched/?watch`, bearer(token));
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      await until(() => stream.text().includes(': watching'));
      writeFileSync(join(agent.root, 'watched', 'new.txt'), 'new');
      await until(() => events(stream).length === 1);
      expect(events(stream)[0]).toBe('event: changed\ndata: {}');
      rmSync(join(agent.root, 'watched', 'old.txt'));
      await until(() => events(stream).length === 2);
      // Keep-alive comments keep an idle stream open through proxies.
      await until(() => stream.text().includes(': keep-alive'));
    } finally {
      stream.close();
    }
  });

  it('ends the stream as soon as the credential is revoked', async () => {
    const token = agent.token();
    const stream = await openStream(`${MOUNT}watched/?watch`, bearer(token));
    await until(() => stream.text().includes(': watching'));
    expect(stream.ended()).toBe(false);
    agent.revoke(usernameOf(token));
    await until(() => stream.ended(), 2_000);
  });

  it('ends the stream when the credential expires', async () => {
    const token = agent.token({ ttlSeconds: 2 });
    const stream = await openStream(`${MOUNT}watched/?watch&access_token=${token}`, {});
    expect(stream.status).toBe(200);
    await until(() => stream.text().includes(': watching'));
    expect(stream.ended()).toBe(false);
    await until(() => stream.ended(), 5_000);
  });

  it('caps the watches one credential holds open (429), and frees a slot when one closes', async () => {
    const token = agent.token();
    const first = await openStream(`${MOUNT}watched/?watch`, bearer(token));
    const second = await openStream(`${MOUNT}watched/?watch`, bearer(token));
    const third = await openStream(`${MOUNT}watched/?watch`, bearer(token));
    try {
      expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
      // Another credential is not held back by this one's cap.
      const other = await openStream(`${MOUNT}watched/?watch`, bearer(agent.token()));
      expect(other.status).toBe(200);
      other.close();
      first.close();
      await until(async () => {
        const again = await openStream(`${MOUNT}watched/?watch`, bearer(token));
        again.close();
        return again.status === 200;
      });
    } finally {
      for (const stream of [first, second, third]) stream.close();
    }
  });

  it('ends open watches when the agent stops, so they do not hold the stop', async () => {
    const stopping = await startFilesAgent();
    mkdirSync(join(stopping.root, 'watched'));
    const stream = await openStream(`${MOUNT}watched/?watch`, bearer(stopping.token()), stopping.port);
    await until(() => stream.text().includes(': watching'));
    // Well under the workers' 8 s stop bound (the in-process agent has none but the lifecycle's).
    const stopped = await Promise.race([
      stopping.stop().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
    ]);
    expect(stopped).toBe(true);
    await until(() => stream.ended(), 2_000);
    await stopping.close();
  });

  it('refuses a file, a missing folder and no credential', async () => {
    const token = agent.token();
    writeFileSync(join(agent.root, 'watched', 'file.txt'), 'x');
    expect((await agent.send('GET', `${MOUNT}watched/file.txt?watch`, bearer(token))).status).toBe(409);
    expect((await agent.send('GET', `${MOUNT}missing/?watch`, bearer(token))).status).toBe(404);
    expect((await agent.send('GET', `${MOUNT}watched/?watch`)).status).toBe(401);
  });
});
