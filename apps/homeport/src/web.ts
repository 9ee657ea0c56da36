// Serves the built SPA: hashed assets cached for a year, index.html for every client-side route, and the
// brotli/gzip copies the web build writes next to each asset, chosen by Accept-Encoding.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { type HttpApp, type Logger, requestPath } from '@homeport/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web UI, found from the sources (apps/homeport/src), the bundle's entry (apps/homeport/dist) and the
 * chunks it is split into (apps/homeport/dist/chunks, where this code may land): `web/` beside dist/ in the
 * release tarball (scripts/release), else apps/web/dist in a checkout.
 */
const APP_DIR = new URL(import.meta.url.includes('/dist/chunks/') ? '../../' : '../', import.meta.url);
const RELEASE_WEB_DIR = fileURLToPath(new URL('web', APP_DIR));
export const DEFAULT_WEB_DIR = existsSync(`${RELEASE_WEB_DIR}/index.html`)
  ? RELEASE_WEB_DIR
  : fileURLToPath(new URL('../web/dist', APP_DIR));

/** Paths the SPA must never shadow: an unknown one there is a real 404 (decoded: `/%61pi/x` is `/api/x`). */
const SERVER_PATHS = /^\/(api|health|ready|metrics|version)(\/|$)/;

export function webFallback(
  webDir: string,
): ((request: FastifyRequest, reply: FastifyReply) => Promise<boolean>) | undefined {
  if (!existsSync(`${webDir}/index.html`)) return undefined;
  return async (request, reply) => {
    if (SERVER_PATHS.test(requestPath(request.url))) return false;
    if (!(request.headers.accept ?? '').includes('text/html')) return false;
    reply.header('cache-control', 'no-cache');
    await reply.sendFile('index.html');
    return true;
  };
}

export async function registerWeb(app: HttpApp, webDir: string, log: Logger): Promise<boolean> {
  if (!existsSync(`${webDir}/index.html`)) {
    log.warn({ webDir }, 'web UI not built (run `npm run build`); serving the API only');
    return false;
  }
  await app.register(fastifyStatic, {
    root: webDir,
    // Looked up per request, so a rebuilt UI is served without a restart.
    wildcard: true,
    index: ['index.html'],
    // `<file>.br` / `<file>.gz` from the build, by the client's Accept-Encoding (with Vary: Accept-Encoding and
    // the compressed file's Content-Length); the plain file when the client takes neither or no copy exists.
    preCompressed: true,
    setHeaders: (response, path) => {
      response.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return true;
}
