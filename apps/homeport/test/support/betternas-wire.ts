// betterNAS's wire format as the tests see it, written from shared/reference/betternas-compat.md and
// betternas.v1.openapi.yaml (no code of Homeport's or betterNAS's): the contract's shapes, the mount
// credential (sign, inspect, verify as a betterNAS agent does), and a small HTTP client.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { expect } from 'vitest';

export const NODE_TOKEN_HEADER = 'x-betternas-node-token';
/** Homeport's own agent says so when it registers; betterNAS's agents send nothing of the kind. */
export const HOMEPORT_AGENT_HEADER = 'x-homeport-agent';

export interface WireNasNode {
  id: string;
  machineId: string;
  displayName: string;
  agentVersion: string;
  status: 'online' | 'offline' | 'degraded';
  lastSeenAt: string;
  directAddress: string | null;
  relayAddress: string | null;
  /** Homeport's addition: which agent registered the node. */
  agentKind?: string;
}

export interface WireStorageExport {
  id: string;
  nasNodeId: string;
  label: string;
  path: string;
  mountPath: string;
  protocols: string[];
  capacityBytes: number | null;
  tags: string[];
}

export interface WireMountProfile {
  id: string;
  exportId: string;
  protocol: string;
  displayName: string;
  mountUrl: string;
  readonly: boolean;
  credential: { mode: string; username: string; password: string; expiresAt: string };
}

export interface WireExportInput {
  label?: string;
  path?: string;
  mountPath?: string;
  protocols?: string[];
  capacityBytes?: number | null;
  tags?: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Time

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** What betterNAS writes: UTC, whole seconds, `Z`. */
const RFC3339_UTC_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export const isRfc3339 = (text: unknown): text is string =>
  typeof text === 'string' && RFC3339.test(text) && !Number.isNaN(Date.parse(text));

export const isRfc3339UtcSeconds = (text: unknown): text is string =>
  typeof text === 'string' && RFC3339_UTC_SECONDS.test(text) && !Number.isNaN(Date.parse(text));

/** `2026-12-01T17:23:37Z` for an instant in milliseconds. */
export const rfc3339Utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

// ---------------------------------------------------------------------------------------------------------
// Schema checks (the contract's required fields and their types)

const nullableString = (value: unknown) => value === null || typeof value === 'string';

export function expectNasNode(value: unknown): asserts value is WireNasNode {
  expect(value, 'a NasNode object').toBeTypeOf('object');
  const node = value as Record<string, unknown>;
  for (const field of ['id', 'machineId', 'displayName', 'agentVersion', 'lastSeenAt'])
    expect(node[field], `NasNode.${field}`).toBeTypeOf('string');
  expect(['online', 'offline', 'degraded'], 'NasNode.status').toContain(node.status);
  expect(isRfc3339(node.lastSeenAt), `NasNode.lastSeenAt RFC 3339: ${String(node.lastSeenAt)}`).toBe(true);
  expect(nullableString(node.directAddress), 'NasNode.directAddress string|null').toBe(true);
  expect(nullableString(node.relayAddress), 'NasNode.relayAddress string|null').toBe(true);
  expect('directAddress' in node && 'relayAddress' in node, 'NasNode addresses present').toBe(true);
}

export function expectStorageExport(value: unknown): asserts value is WireStorageExport {
  expect(value, 'a StorageExport object').toBeTypeOf('object');
  const item = value as Record<string, unknown>;
  for (const field of ['id', 'nasNodeId', 'label', 'path', 'mountPath'])
    expect(item[field], `StorageExport.${field}`).toBeTypeOf('string');
  expect(Array.isArray(item.protocols), 'StorageExport.protocols is an array').toBe(true);
  for (const protocol of item.protocols as unknown[]) expect(protocol).toBe('webdav');
  expect(
    item.capacityBytes === null || Number.isInteger(item.capacityBytes),
    'StorageExport.capacityBytes integer|null',
  ).toBe(true);
  expect(Array.isArray(item.tags), 'StorageExport.tags is an array').toBe(true);
  for (const tag of item.tags as unknown[]) expect(tag).toBeTypeOf('string');
}

export function expectMountProfile(value: unknown): asserts value is WireMountProfile {
  expect(value, 'a MountProfile object').toBeTypeOf('object');
  const profile = value as Record<string, unknown>;
  for (const field of ['id', 'exportId', 'displayName', 'mountUrl'])
    expect(profile[field], `MountProfile.${field}`).toBeTypeOf('string');
  expect(profile.protocol).toBe('webdav');
  expect(profile.readonly, 'MountProfile.readonly').toBeTypeOf('boolean');
  const credential = profile.credential as Record<string, unknown>;
  expect(credential, 'MountProfile.credential').toBeTypeOf('object');
  expect(credential.mode).toBe('basic-auth');
  // 24 random bytes in base64url are 32 characters.
  expect(credential.username).toMatch(/^mount-[A-Za-z0-9_-]{32}$/);
  expect(credential.password).toBeTypeOf('string');
  expect(
    isRfc3339UtcSeconds(credential.expiresAt),
    `credential.expiresAt is RFC 3339 UTC without fractional seconds: ${String(credential.expiresAt)}`,
  ).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------
// The mount credential

/** The claims in betterNAS's field order; tests forge variants (other `v`, empty fields) on purpose. */
export interface BetterNasClaimsLike {
  v: unknown;
  nodeId: unknown;
  mountPath: unknown;
  username: unknown;
  readonly: unknown;
  expiresAt: unknown;
}

export const CLAIM_ORDER = ['v', 'nodeId', 'mountPath', 'username', 'readonly', 'expiresAt'] as const;

const hmac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

/** `base64url(claims JSON) + "." + base64url(HMAC-SHA256(secret, base64url(claims JSON)))`, no padding. */
export function signBetterNasPassword(claims: BetterNasClaimsLike, secret: string): string {
  const ordered = Object.fromEntries(CLAIM_ORDER.map((field) => [field, claims[field]]));
  const payload = Buffer.from(JSON.stringify(ordered)).toString('base64url');
  return `${payload}.${hmac(secret, payload).toString('base64url')}`;
}

export interface InspectedPassword {
  /** Both parts are unpadded base64url. */
  wellFormed: boolean;
  /** The claims as the JSON text they were signed in. */
  json: string;
  claims: Record<string, unknown>;
  /** Byte length of the tag. */
  tagBytes: number;
  /** The tag is HMAC-SHA256 keyed by the raw secret over the base64url claims, all 32 bytes. */
  tagValid: boolean;
}

export function inspectBetterNasPassword(password: string, secret: string): InspectedPassword {
  const parts = password.split('.');
  const [payload = '', tagText = ''] = parts;
  const base64url = /^[A-Za-z0-9_-]+$/;
  const wellFormed = parts.length === 2 && base64url.test(payload) && base64url.test(tagText);
  const json = Buffer.from(payload, 'base64url').toString('utf8');
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(json) as Record<string, unknown>;
  } catch {
    // Left empty: the caller's assertions on the claims then fail with the text in their message.
  }
  const tag = Buffer.from(tagText, 'base64url');
  const wanted = hmac(secret, payload);
  return {
    wellFormed,
    json,
    claims,
    tagBytes: tag.length,
    tagValid: tag.length === wanted.length && timingSafeEqual(tag, wanted),
  };
}

export type RefusalReason =
  | 'missing'
  | 'malformed'
  | 'tag'
  | 'version'
  | 'empty_field'
  | 'expiry_unparsable'
  | 'expired'
  | 'username'
  | 'node'
  | 'mount_path'
  | 'readonly';

export interface CredentialCheck {
  secret: string;
  nodeId: string;
  mountPath: string;
  nowMs: number;
  /** The request changes something (anything but GET, HEAD, OPTIONS, PROPFIND). */
  write: boolean;
}

/** Parses `Authorization: Basic …` into its username and password (split at the first colon). */
export function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The checks a betterNAS agent makes, in the facts file's words; the first that fails names the refusal. */
export function checkBetterNasCredential(
  username: string,
  password: string,
  expected: CredentialCheck,
): { ok: true; readonly: boolean } | { ok: false; reason: RefusalReason } {
  const parts = password.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: 'malformed' };
  const [payload, tagText] = parts as [string, string];
  const given = Buffer.from(tagText, 'base64url');
  const wanted = hmac(expected.secret, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { ok: false, reason: 'tag' };
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.v !== 1) return { ok: false, reason: 'version' };
  for (const field of ['nodeId', 'mountPath', 'username', 'expiresAt'] as const) {
    if (typeof claims[field] !== 'string' || claims[field] === '')
      return { ok: false, reason: 'empty_field' };
  }
  if (typeof claims.readonly !== 'boolean') return { ok: false, reason: 'empty_field' };
  if (!isRfc3339(claims.expiresAt)) return { ok: false, reason: 'expiry_unparsable' };
  if (Date.parse(claims.expiresAt) <= expected.nowMs) return { ok: false, reason: 'expired' };
  if (claims.username !== username) return { ok: false, reason: 'username' };
  if (claims.nodeId !== expected.nodeId) return { ok: false, reason: 'node' };
  if (claims.mountPath !== expected.mountPath) return { ok: false, reason: 'mount_path' };
  if (claims.readonly && expected.write) return { ok: false, reason: 'readonly' };
  return { ok: true, readonly: claims.readonly };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

export interface WireResponse<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: T;
}

export interface WireRequest {
  method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request to the control plane; the body is read whole and parsed when it is JSON. */
export async function wire<T = unknown>(
  base: string,
  path: string,
  request: WireRequest = {},
): Promise<WireResponse<T>> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method: request.method ?? 'GET',
    headers,
    body: request.body === undefined ? null : JSON.stringify(request.body),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  // The route's JSON shape; each test checks what it reads with the expect* helpers above.
  return { status: response.status, headers: response.headers, text, body: body as T };
}

/** A refusal of a bearer-authenticated route: 401, a Bearer challenge, and a body saying something. */
export function expectBearerChallenge(response: WireResponse, what: string): void {
  expect(response.status, `${what}: status (body ${response.text})`).toBe(401);
  expect(response.headers.get('www-authenticate') ?? '', `${what}: WWW-Authenticate`).toMatch(/^Bearer/);
  expect(response.text.length, `${what}: a non-empty body`).toBeGreaterThan(0);
}

export { waitFor } from './nas.js';
