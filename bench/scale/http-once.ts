// One HTTP request on a connection of its own, closed after the answer. The checks before a wrk run use it:
// an idle keep-alive connection left in fetch's pool from 127.0.0.1 counts against the server's 64 per
// address, and as it carried a credential the server closes a new wrk connection before it (a read error).

import { request } from 'node:http';

export async function requestOnce(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
