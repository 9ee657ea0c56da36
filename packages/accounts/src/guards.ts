// Authentication of a request (session cookie, bearer session, API token, static client token) and the guards
// other modules put in front of their routes.

import type { AuthGuards, Principal } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { AccountsError } from './errors.js';
import type { AccountsService } from './service.js';
import type { UserRecord } from './store/repositories.js';

export const SESSION_COOKIE = 'homeport_session';
const SESSION_TOKEN = /^[0-9a-f]{64}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** `Bearer ` and a session token, nothing more: how every client sends one. */
const SESSION_BEARER_LENGTH = 'Bearer '.length + 64;
const SESSION_COOKIE_VALUE = new RegExp(`(?:^|;)\\s*${SESSION_COOKIE}=([0-9a-f]{64})\\s*(?:;|$)`);

export interface GuardsOptions {
  service: AccountsService;
}

/**
 * The credential of an `Authorization: Bearer` header; undefined without the header, and null when the header
 * holds something else (another scheme, no token): such a request is anonymous, whatever its cookie says.
 */
function bearerOf(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1] ?? null;
}

/** The guards, plus the user record behind a request for the accounts routes themselves (saves a lookup). */
export interface AccountsGuards extends AuthGuards {
  userOf(request: FastifyRequest): UserRecord | undefined;
}

/**
 * What the guards found for one request, kept in the request's `authState` slot (declared by the core
 * server, written only here): a WeakMap keyed by request cost a write barrier and GC work on every request.
 */
interface Resolution {
  principal: Promise<Principal | null>;
  user: UserRecord | undefined;
}

/** Stands in for a request's principal during the moment between storing its entry and resolving. */
const NOT_YET: Promise<Principal | null> = Promise.resolve(null);

/** The credential a request presents, read from its headers without any lookup. */
type Presented =
  | { kind: 'session'; token: string; viaCookie: boolean }
  | { kind: 'api_token'; token: string }
  | { kind: 'other_bearer'; token: string }
  | undefined;

function presented(request: FastifyRequest): Presented {
  const header = request.headers.authorization;
  // The common case in one test: the header is exactly `Bearer <session token>`. Any other spelling (another
  // case, more spaces) takes the full pattern below and ends the same way.
  if (header?.length === SESSION_BEARER_LENGTH && header.startsWith('Bearer ')) {
    const token = header.slice(7);
    if (SESSION_TOKEN.test(token)) return { kind: 'session', token, viaCookie: false };
  }
  const bearer = bearerOf(header);
  if (bearer === null) return undefined;
  if (bearer !== undefined) {
    if (bearer.startsWith('hp_')) return { kind: 'api_token', token: bearer };
    if (SESSION_TOKEN.test(bearer)) return { kind: 'session', token: bearer, viaCookie: false };
    return { kind: 'other_bearer', token: bearer };
  }
  const cookieHeader = request.headers.cookie;
  if (cookieHeader === undefined) return undefined;
  // The session cookie is 64 hex characters, never encoded: pick it out without parsing every cookie.
  const token = SESSION_COOKIE_VALUE.exec(cookieHeader)?.[1];
  return token === undefined ? undefined : { kind: 'session', token, viaCookie: true };
}

export function createGuards({ service }: GuardsOptions): AccountsGuards {
  const clientPrincipal = (token: string): Principal | null =>
    service.isClientToken(token) ? { kind: 'client', via: 'client_token', viaCookie: false } : null;

  /**
   * One async step per request for the common case (a session): the store lookup is awaited here directly
   * rather than through nested async helpers, each of which cost a promise and a microtask per request.
   */
  const resolve = async (request: FastifyRequest, entry: Resolution): Promise<Principal | null> => {
    const credential = presented(request);
    let principal: Principal | null = null;
    if (credential?.kind === 'session') {
      const found = await service.resolveSession(credential.token);
      if (found) {
        entry.user = found.user;
        principal = {
          kind: 'user',
          userId: found.user.id,
          username: found.user.username,
          role: found.user.role,
          via: 'session',
          sessionId: found.session.id,
          viaCookie: credential.viaCookie,
        };
      } else if (!credential.viaCookie) {
        // A 64-hex bearer that is no session may still be the static client token.
        principal = clientPrincipal(credential.token);
      }
    } else if (credential?.kind === 'api_token') {
      const found = await service.resolveApiToken(credential.token);
      if (found) {
        entry.user = found.user;
        principal = {
          kind: 'user',
          userId: found.user.id,
          username: found.user.username,
          role: found.user.role,
          via: 'api_token',
          tokenId: found.token.id,
          viaCookie: false,
        };
      }
    } else if (credential?.kind === 'other_bearer') {
      principal = clientPrincipal(credential.token);
    }
    request.principal = principal;
    return principal;
  };

  /** The request's entry, if the guards have looked at it. */
  const entryOf = (request: FastifyRequest): Resolution | undefined =>
    // Only this file writes the slot, always a Resolution; a request object outside the server has none.
    (request.authState ?? undefined) as Resolution | undefined;

  const authenticate = (request: FastifyRequest): Promise<Principal | null> => {
    let entry = entryOf(request);
    if (entry === undefined) {
      // Stored before resolving, so the user found on the way lands in the same entry.
      entry = { principal: NOT_YET, user: undefined };
      request.authState = entry;
      entry.principal = resolve(request, entry);
    }
    return entry.principal;
  };

  const unauthorized = () =>
    new AccountsError('unauthorized', 'Sign in first (session cookie or Authorization: Bearer)');

  return {
    authenticate,
    async recheck(principal) {
      if (principal.kind === 'client') return service.clientTokenConfigured() ? principal : null;
      const found =
        principal.sessionId !== undefined
          ? await service.currentSession(principal.sessionId)
          : principal.tokenId !== undefined
            ? await service.currentApiToken(principal.tokenId)
            : undefined;
      if (!found || found.user.id !== principal.userId) return null;
      return { ...principal, username: found.user.username, role: found.user.role };
    },
    userOf: (request) => entryOf(request)?.user,
    async requireUser(request) {
      const principal = await authenticate(request);
      if (principal?.kind !== 'user') throw unauthorized();
    },
    async requireAdmin(request) {
      const principal = await authenticate(request);
      if (principal?.kind !== 'user') throw unauthorized();
      if (principal.role !== 'admin') throw new AccountsError('admin_required', 'Only an admin may do this');
    },
    async requireClient(request) {
      if (!(await authenticate(request))) throw unauthorized();
    },
  };
}
