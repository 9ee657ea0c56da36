// Checks on everything the runtime hands to Docker, before the request is made: names, references, env and
// mounts come from project configuration, and a value that Docker would read as something else (a tag instead of
// a digest, a mount option smuggled into a path) must never reach it.

import { DeployError } from '../errors.js';
import type { ContainerLabels, ContainerSpec } from './types.js';

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
// host[:port]/ is optional; path components are Docker's lower-case grammar.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(
  `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?/)?${COMPONENT}(?:/${COMPONENT})*$`,
);
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_LABEL = 256;
const MIN_MEMORY = 6 * 1024 * 1024; // Docker refuses less than 6 MiB.

function bad(message: string): DeployError {
  return new DeployError('deploy_bad_request', message);
}

export function checkRepository(repository: string): string {
  if (repository.length > 255 || !REPOSITORY.test(repository))
    throw bad(`not a repository name: ${JSON.stringify(repository)}`);
  return repository;
}

/** A reference pinned by digest, `repository@sha256:<64 hex>`; tags (even with a digest) are refused. */
export function checkPinnedReference(reference: string): string {
  const at = reference.lastIndexOf('@');
  const repository = at === -1 ? '' : reference.slice(0, at);
  const digest = at === -1 ? '' : reference.slice(at + 1);
  if (!DIGEST.test(digest) || !REPOSITORY.test(repository) || repository.length > 255)
    throw bad(`image must be pinned by digest (repository@sha256:…): ${JSON.stringify(reference)}`);
  return reference;
}

/** A pinned reference, or an image id (`sha256:…`) as listImages returns it. */
export function checkImageTarget(reference: string): string {
  return DIGEST.test(reference) ? reference : checkPinnedReference(reference);
}

export function checkContainerId(id: string): string {
  // Ids from Docker (64 hex, or a prefix) or our own container names.
  if (!CONTAINER_NAME.test(id)) throw bad(`not a container id: ${JSON.stringify(id)}`);
  return id;
}

function checkText(what: string, value: string, max = MAX_LABEL): void {
  if (value.length === 0 || value.length > max || value.includes('\0') || /[\r\n]/.test(value))
    throw bad(`${what} must be 1–${max} characters without NUL or line breaks`);
}

export function checkLabels(labels: ContainerLabels): void {
  for (const key of ['project', 'stage', 'release', 'deploy'] as const)
    checkText(`label ${key}`, labels[key]);
  if (labels.color !== 'blue' && labels.color !== 'green') throw bad('label color must be blue or green');
}

function checkAbsolutePath(what: string, path: string): void {
  if (
    !path.startsWith('/') ||
    path.includes('\0') ||
    path.length > 4096 ||
    path.split('/').some((part) => part === '..' || part === '.')
  )
    throw bad(`${what} must be an absolute path without . or .. segments: ${JSON.stringify(path)}`);
}

function positiveInteger(what: string, value: number | undefined, min = 1): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min))
    throw bad(`${what} must be an integer of at least ${min}`);
}

/** Throws DeployError `deploy_bad_request` naming the first field that is wrong. */
export function checkSpec(spec: ContainerSpec): void {
  if (!CONTAINER_NAME.test(spec.name))
    throw bad(`container name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: ${JSON.stringify(spec.name)}`);
  checkPinnedReference(spec.image);
  checkLabels(spec.labels);
  for (const [key, value] of Object.entries(spec.env)) {
    if (!ENV_KEY.test(key)) throw bad(`env name must match [A-Za-z_][A-Za-z0-9_]*: ${JSON.stringify(key)}`);
    if (typeof value !== 'string' || value.includes('\0'))
      throw bad(`env ${key} must be a string without NUL`);
  }
  if (spec.cmd !== undefined) {
    if (!Array.isArray(spec.cmd) || spec.cmd.length === 0) throw bad('cmd must be a non-empty argv array');
    for (const arg of spec.cmd)
      if (typeof arg !== 'string' || arg.includes('\0'))
        throw bad('cmd arguments must be strings without NUL');
  }
  if (spec.network.mode !== 'host') throw bad('only host networking is supported');
  for (const volume of spec.volumes) {
    if (volume.source.startsWith('/')) checkAbsolutePath('volume source', volume.source);
    else if (!VOLUME_NAME.test(volume.source))
      throw bad(`volume source must be an absolute path or a volume name: ${JSON.stringify(volume.source)}`);
    checkAbsolutePath('volume target', volume.target);
    if (volume.target === '/') throw bad('volume target cannot be /');
  }
  positiveInteger('memoryBytes', spec.memoryBytes, MIN_MEMORY);
  positiveInteger('nanoCpus', spec.nanoCpus);
  positiveInteger('pidsLimit', spec.pidsLimit);
  if (!['no', 'on-failure', 'unless-stopped'].includes(spec.restartPolicy))
    throw bad(`restart policy must be no, on-failure or unless-stopped`);
  if (!Number.isSafeInteger(spec.stopTimeoutSec) || spec.stopTimeoutSec < 0 || spec.stopTimeoutSec > 3600)
    throw bad('stopTimeoutSec must be an integer from 0 to 3600');
}
