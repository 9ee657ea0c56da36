// Image repository names as the distribution spec's grammar defines them (`host[:port]/path`), parsed
// strictly: the path goes into registry URLs and the host decides where credentials are sent.

import { isLoopbackAddress } from '@homeport/core';
import { DeployError } from '../errors.js';

export interface ImageRepository {
  /** `registry.example.com` or `127.0.0.1:5000`, as written (lower case). */
  host: string;
  /** `team/app`: lower-case components joined by `/`. */
  path: string;
  /** `http` only for loopback hosts and hosts the client was told are insecure. */
  origin: string;
}

const DOMAIN_COMPONENT = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function bad(message: string): DeployError {
  return new DeployError('deploy_bad_request', message);
}

function checkHost(host: string): boolean {
  const colon = host.lastIndexOf(':');
  const hasPort = colon !== -1 && !host.endsWith(']');
  const name = hasPort ? host.slice(0, colon) : host;
  if (hasPort && !(/^\d{1,5}$/.test(host.slice(colon + 1)) && Number(host.slice(colon + 1)) <= 65_535))
    return false;
  if (IPV6.test(name)) return true;
  return name.split('.').every((part) => DOMAIN_COMPONENT.test(part));
}

/**
 * Parses `host[:port]/component[/component…]`. A registry host is required (no Docker Hub shorthand: a bare
 * `app` would silently mean docker.io). Upper case, `..`, empty components or anything outside the grammar
 * is a `deploy_bad_request`.
 */
export function parseImageRepository(value: string, insecure: ReadonlySet<string>): ImageRepository {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw bad('image repository must be 1–255 characters');
  }
  const slash = value.indexOf('/');
  const host = slash === -1 ? '' : value.slice(0, slash);
  const path = slash === -1 ? '' : value.slice(slash + 1);
  const looksLikeHost = host.includes('.') || host.includes(':') || host === 'localhost';
  if (!looksLikeHost || !checkHost(host)) {
    throw bad(
      `image repository ${JSON.stringify(value)} must start with a registry host, e.g. registry.example.com/app`,
    );
  }
  if (path === '' || !path.split('/').every((component) => PATH_COMPONENT.test(component))) {
    throw bad(
      `image repository path ${JSON.stringify(path)} is not valid: lower-case letters, digits and single separators (. _ __ -) per component`,
    );
  }
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const plain = isLoopbackAddress(hostname) || insecure.has(host);
  return { host, path, origin: `${plain ? 'http' : 'https'}://${host}` };
}

export function checkTag(tag: string): string {
  if (typeof tag !== 'string' || !TAG.test(tag))
    throw bad(`not a valid image tag: ${JSON.stringify(String(tag).slice(0, 130))}`);
  return tag;
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

export function checkDigest(digest: string): string {
  if (!isDigest(digest)) throw bad(`not a sha256 digest: ${JSON.stringify(String(digest).slice(0, 80))}`);
  return digest;
}
