// Runs curl once and reads its own measurements (`-w`): the transfer rate of a GET or PUT, the total time of a
// PROPFIND. curl counts from its first byte out to its last byte in, so its start-up is not in the figures.

import { requireCommand, startProcess } from '@homeport/testkit';

export interface CurlResult {
  status: number;
  /** Bytes per second of the body received (GET) or sent (PUT). */
  downloadBytesPerSec: number;
  uploadBytesPerSec: number;
  downloadBytes: number;
  uploadBytes: number;
  totalMs: number;
}

export interface CurlRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** A file sent as the body with `-T` (PUT). */
  upload?: string;
  /** A file sent as the body with `--data-binary @file` (PROPFIND). */
  body?: string;
  name: string;
}

const FORMAT =
  'CURL_RESULT %{http_code} %{speed_download} %{speed_upload} %{size_download} %{size_upload} %{time_total}\\n';

export async function runCurl(request: CurlRequest): Promise<CurlResult> {
  const curl = requireCommand('curl', 'curl');
  const args = ['-sS', '-o', '/dev/null', '-w', FORMAT];
  if (request.method !== undefined) args.push('-X', request.method);
  for (const [name, value] of Object.entries(request.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (request.upload !== undefined) args.push('-T', request.upload);
  if (request.body !== undefined) args.push('--data-binary', `@${request.body}`);
  args.push(request.url);
  const child = await startProcess(curl, args, { name: `curl ${request.name}` });
  const exit = await child.exited;
  const line = child
    .stdout()
    .split('\n')
    .find((text) => text.startsWith('CURL_RESULT '));
  if (exit.code !== 0 || line === undefined)
    throw new Error(`curl ${request.name} failed (${JSON.stringify(exit)}):\n${child.output()}`);
  const [status, down, up, downBytes, upBytes, total] = line.split(' ').slice(1).map(Number);
  return {
    status: status ?? 0,
    downloadBytesPerSec: down ?? 0,
    uploadBytesPerSec: up ?? 0,
    downloadBytes: downBytes ?? 0,
    uploadBytes: upBytes ?? 0,
    totalMs: (total ?? 0) * 1000,
  };
}
