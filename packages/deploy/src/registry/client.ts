// The registry client of the deploy module: the digest a tag points at (releases are pinned by digest), the
// tags of a repository (the poller), whether a manifest still exists (rollback). Distribution API v2 only.

import { createHash } from 'node:crypto';
import type { Logger } from '@homeport/core';
import { DeployError } from '../errors.js';
import { basicHeader, bearerToken, createTokenCache, type RegistryAuth } from './auth.js';
import { type Challenge, parseChallenge } from './challenge.js';
import { type BoundedAnswer, boundedRequest, type HttpLimits, registryErrorText } from './http.js';
import { checkDigest, checkTag, type ImageRepository, isDigest, parseImageRepository } from './reference.js';

export type { RegistryAuth } from './auth.js';

/** Every manifest kind a deploy can run: OCI index and manifest, Docker manifest list and schema 2. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryClientOptions {
  fetch?: typeof fetch;
  /** Per HTTP request. */
  timeoutMs: number;
  /** Largest answer read (manifests, tag pages, tokens). */
  maxBytes: number;
  log: Logger;
  /** Non-loopback registry hosts (`host[:port]`) spoken to over plain HTTP. Loopback always is. */
  insecure?: readonly string[];
  /** listTags stops with an error past this many tags (default 10,000). */
  maxTags?: number;
  /** Tags asked for per page (default 100). */
  pageSize?: number;
  now?: () => number;
}

export interface RegistryClient {
  /** `sha256:…` of the manifest `tag` points at now. */
  resolveDigest(imageRepository: string, tag: string, auth?: RegistryAuth): Promise<string>;
  listTags(imageRepository: string, auth?: RegistryAuth): Promise<string[]>;
  manifestExists(imageRepository: string, digest: string, auth?: RegistryAuth): Promise<boolean>;
}

/**
 * @example
 *   const registry = createRegistryClient({ timeoutMs: 10_000, maxBytes: 4 << 20, log });
 *   const digest = await registry.resolveDigest('127.0.0.1:5000/shop/web', 'v1.4.2');
 */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const limits: HttpLimits = {
    fetch: options.fetch ?? fetch,
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
  };
  if (!(options.timeoutMs > 0) || !(options.maxBytes > 0))
    throw new TypeError('registry client: timeoutMs and maxBytes must be > 0');
  const insecure = new Set(options.insecure ?? []);
  const maxTags = options.maxTags ?? 10_000;
  const pageSize = options.pageSize ?? 100;
  const now = options.now ?? Date.now;
  const tokens = createTokenCache();
  // The last challenge per registry host, so the next request carries credentials at once.
  const challenges = new Map<string, Challenge>();
  const log = options.log.child({ component: 'registry-client' });

  const authorization = async (
    repo: ImageRepository,
    challenge: Challenge | undefined,
    auth: RegistryAuth | undefined,
  ): Promise<string | undefined> => {
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') return auth === undefined ? undefined : basicHeader(auth);
    const scope = `repository:${repo.path}:pull`;
    return `Bearer ${await bearerToken(limits, tokens, challenge, scope, auth, now, repo.host)}`;
  };

  /** A request with auth handled: one retry after a 401 with a challenge we can answer. */
  const call = async (
    repo: ImageRepository,
    method: 'GET' | 'HEAD',
    url: string,
    headers: Record<string, string>,
    auth: RegistryAuth | undefined,
  ): Promise<BoundedAnswer> => {
    let header = await authorization(repo, challenges.get(repo.host), auth);
    for (let attempt = 0; ; attempt++) {
      const answer = await boundedRequest(limits, url, {
        method,
        headers: header === undefined ? headers : { ...headers, authorization: header },
      });
      if (answer.status !== 401) return answer;
      const challenge = parseChallenge(answer.headers.get('www-authenticate'));
      if (challenge === undefined || attempt > 0 || (challenge.scheme === 'basic' && auth === undefined)) {
        throw new DeployError(
          'registry_unavailable',
          auth === undefined
            ? `registry ${repo.host} requires credentials for ${repo.path}`
            : `registry ${repo.host} refused the credentials for ${repo.path}`,
        );
      }
      if (challenges.size > 64) challenges.clear();
      challenges.set(repo.host, challenge);
      header = await authorization(repo, challenge, auth);
    }
  };

  const failed = (
    repo: ImageRepository,
    what: string,
    answer: BoundedAnswer,
    auth: RegistryAuth | undefined,
  ): DeployError => {
    if (answer.status === 404) {
      return new DeployError(
        'registry_not_found',
        `${repo.host}/${repo.path}: ${what} not found (${registryErrorText(answer, auth)})`,
      );
    }
    return new DeployError(
      'registry_unavailable',
      `${repo.host}/${repo.path}: ${what}: ${registryErrorText(answer, auth)}`,
    );
  };

  const ok = (status: number) => status >= 200 && status <= 299;

  return {
    resolveDigest: async (imageRepository, tag, auth) => {
      const repo = parseImageRepository(imageRepository, insecure);
      const url = `${repo.origin}/v2/${repo.path}/manifests/${encodeURIComponent(checkTag(tag))}`;
      const headers = { accept: MANIFEST_ACCEPT };
      const head = await call(repo, 'HEAD', url, headers, auth);
      if (head.status === 404) throw failed(repo, `tag ${tag}`, head, auth);
      const headDigest = head.headers.get('docker-content-digest');
      if (ok(head.status) && isDigest(headDigest)) return headDigest;
      // Some registries answer HEAD without the digest header (or refuse HEAD): read the manifest itself.
      const get = await call(repo, 'GET', url, headers, auth);
      if (!ok(get.status)) throw failed(repo, `tag ${tag}`, get, auth);
      const computed = `sha256:${createHash('sha256').update(get.body).digest('hex')}`;
      const stated = get.headers.get('docker-content-digest');
      if (stated !== null && stated !== computed) {
        throw new DeployError(
          'registry_unavailable',
          `${repo.host}/${repo.path}:${tag}: the manifest does not match its stated digest ${stated.slice(0, 80)}`,
        );
      }
      return computed;
    },

    listTags: async (imageRepository, auth) => {
      const repo = parseImageRepository(imageRepository, insecure);
      const base = `${repo.origin}/v2/${repo.path}/tags/list`;
      const tags: string[] = [];
      let url: string | undefined = `${base}?n=${pageSize}`;
      const seen = new Set<string>();
      while (url !== undefined) {
        if (seen.has(url))
          throw new DeployError('registry_unavailable', `${repo.host}/${repo.path}: tag pages loop`);
        seen.add(url);
        const answer = await call(repo, 'GET', url, { accept: 'application/json' }, auth);
        if (!ok(answer.status)) throw failed(repo, 'repository', answer, auth);
        let page: unknown;
        try {
          page = JSON.parse(answer.body.toString('utf8'));
        } catch {
          page = undefined;
        }
        const list =
          typeof page === 'object' && page !== null ? (page as { tags?: unknown }).tags : undefined; // checked below
        if (list !== null && list !== undefined && !Array.isArray(list)) {
          throw new DeployError('registry_unavailable', `${repo.host}/${repo.path}: tags list is not a list`);
        }
        const before = tags.length;
        for (const tag of list ?? []) {
          if (typeof tag === 'string' && tag.length <= 128) tags.push(tag);
        }
        if (tags.length > maxTags) {
          throw new DeployError(
            'registry_unavailable',
            `${repo.host}/${repo.path} has more than ${maxTags} tags; prune it or raise the limit`,
          );
        }
        url = nextPage(answer.headers.get('link'), base);
        // Each page that links on must bring tags, so maxTags bounds the pages too: a registry answering
        // empty pages with ever-new `last=` links would otherwise keep the poller (one run at a time) busy
        // for ever.
        if (url !== undefined && tags.length === before)
          throw new DeployError(
            'registry_unavailable',
            `${repo.host}/${repo.path}: a tag page without tags links to another page`,
          );
      }
      log.debug({ repository: `${repo.host}/${repo.path}`, count: tags.length }, 'registry tags listed');
      return tags;
    },

    manifestExists: async (imageRepository, digest, auth) => {
      const repo = parseImageRepository(imageRepository, insecure);
      const url = `${repo.origin}/v2/${repo.path}/manifests/${checkDigest(digest)}`;
      const head = await call(repo, 'HEAD', url, { accept: MANIFEST_ACCEPT }, auth);
      if (head.status === 404) return false;
      if (ok(head.status)) return true;
      throw failed(repo, `manifest ${digest}`, head, auth);
    },
  };
}

/**
 * The next page from `Link: </v2/<name>/tags/list?n=100&last=x>; rel="next"`. A link off the same origin
 * and path is an error: following it could send the credentials elsewhere, and ignoring it would pass a
 * partial list off as the whole.
 */
function nextPage(link: string | null, base: string): string | undefined {
  if (link === null) return undefined;
  const match = /<([^>]{1,2048})>\s*;\s*rel="?next"?/i.exec(link);
  if (!match?.[1]) return undefined;
  const next = new URL(match[1], base);
  const expected = new URL(base);
  if (next.origin !== expected.origin || next.pathname !== expected.pathname) {
    throw new DeployError(
      'registry_unavailable',
      `registry tag page links elsewhere: ${next.origin}${next.pathname}`.slice(0, 300),
    );
  }
  return next.href;
}
