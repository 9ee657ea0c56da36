// Authentication of a request (session cookie, bearer session, API token, static client token) and the guards
// other modules put in front of their routes.

import type { AuthGuards, Principal } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { AccountsError } from './errors.js';
import type { AccountsService } from './service.js';
import type { UserRecord } from './store/repositories.js';

export const SESSION_COOKIE = 'homeport_session';
const SESSION_TOKEN = /^[0-9a-f]{64}$/;
const SESSION_COOKIE_VALUE = new RegExp(`(?:^|;)\\s*${SESSION_COOKIE}=([0-9a-f]{64})\\s*(?:;|$)`);

export interface GuardsOptions {
  service: AccountsService;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The guards, plus the user record behind a request for the accounts routes themselves (saves a lookup). */
export interface AccountsGuards extends AuthGuards {
  userOf(request: FastifyRequest): UserRecord | undefined;
}

export function createGuards({ service }: GuardsOptions): AccountsGuards {
  const resolved = new WeakMap<FastifyRequest, Promise<Principal | null>>();
  const users = new WeakMap<FastifyRequest, UserRecord>();

  /** The principal of a session token, from the Authorization header or the cookie (then CSRF rules apply). */
  const sessionPrincipal = async (
    request: FastifyRequest,
    token: string,
    viaCookie: boolean,
  ): Promise<Principal | null> => {
    const found = await service.resolveSession(token);
    if (!found) return null;
    const { user, session } = found;
    users.set(request, user);
    return {
      kind: 'user',
      userId: user.id,
      username: user.username,
      role: user.role,
      via: 'session',
      sessionId: session.id,
      viaCookie,
    };
  };

  const resolve = async (request: FastifyRequest): Promise<Principal | null> => {
    const bearer = bearerOf(request);
    if (request.headers.authorization !== undefined && bearer === undefined) return null;
    if (bearer !== undefined) {
      if (bearer.startsWith('hp_')) {
        const found = await service.resolveApiToken(bearer);
        if (found) users.set(request, found.user);
        return found
          ? {
              kind: 'user',
              userId: found.user.id,
              username: found.user.username,
              role: found.user.role,
              via: 'api_token',
              tokenId: found.token.id,
              viaCookie: false,
            }
          : null;
      }
      if (SESSION_TOKEN.test(bearer)) {
        const principal = await sessionPrincipal(request, bearer, false);
        if (principal) return principal;
      }
      return service.isClientToken(bearer) ? { kind: 'client', via: 'client_token', viaCookie: false } : null;
    }
    const cookieHeader = request.headers.cookie;
    if (cookieHeader === undefined) return null;
    // The session cookie is 64 hex characters, never encoded: pick it out without parsing every cookie.
    const token = SESSION_COOKIE_VALUE.exec(cookieHeader)?.[1];
    if (token === undefined) return null;
    return sessionPrincipal(request, token, true);
  };

  const authenticate = (request: FastifyRequest): Promise<Principal | null> => {
    let pending = resolved.get(request);
    if (!pending) {
      pending = resolve(request).then((principal) => {
        request.principal = principal;
        return principal;
      });
      resolved.set(request, pending);
    }
    return pending;
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
    userOf: (request) => users.get(request),
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
