// A resumable upload's PATCHes sent back to back, each the moment the previous answer arrives (as the files
// page and curl --next do): the upload's lock must be gone before the answer leaves, or the next PATCH is
// refused with 409 "Another request is writing this upload".

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadsOperation } from '../src/agent/files/uploads.js';
import { type FilesServer, startFilesServer } from './support/files-server.js';

let server: FilesServer;
let root: string;

beforeAll(async () => {
  const work = tempDir('homeport-uploads-b2b-');
  root = join(work, 'export');
  mkdirSync(join(root, 'Inbox'), { recursive: true });
  server = await startFilesServer({ root, stateDir: join(work, 'state'), operation: uploadsOperation() });
});

afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

/** One request on a keep-alive agent limited to one socket: every PATCH goes out on the same connection. */
function send(
  agent: http.Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('resumable upload, PATCHes back to back', () => {
  it('takes 200 parts sent each as soon as the previous one is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const part = 16 * 1024;
    const parts = 200;
    const file = randomBytes(part * parts);
    const created = await send(agent, `${server.base}Inbox/?upload`, 'POST', {
      'upload-length': String(file.length),
      'x-file-name': 'b2b.bin',
    });
    expect(created.status, created.body).toBe(201);
    const { id } = JSON.parse(created.body) as { id: string };
    const url = `${server.base}Inbox/?upload=${encodeURIComponent(id)}`;
    const statuses: number[] = [];
    for (let index = 0; index < parts; index += 1) {
      const answer = await send(
        agent,
        url,
        'PATCH',
        { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(index * part) },
        file.subarray(index * part, (index + 1) * part),
      );
      statuses.push(answer.status);
      if (answer.status >= 400) break;
    }
    agent.destroy();
    expect(statuses).toEqual([...Array.from({ length: parts - 1 }, () => 204), 201]);
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    expect(sha(readFileSync(join(root, 'Inbox', 'b2b.bin')))).toBe(sha(file));
  });
});
