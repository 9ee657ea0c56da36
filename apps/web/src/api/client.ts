// Typed client for the Homeport HTTP API: same-origin fetch with the session cookie, JSON in and out,
// failures turned into ApiError, and a signal when the session has ended.
import { ApiError } from './api-error';
import { type ConnectionMonitor, isGatewayFailure } from './connection';
import type {
  AdminUser,
  ApiToken,
  AuthConfig,
  AuthResult,
  AuthSettings,
  AuthSettingsUpdate,
  ChangePasswordInput,
  CreatedToken,
  CreateTokenInput,
  CreateUserInput,
  Credentials,
  EnrolmentToken,
  ExportGrant,
  GrantAccess,
  IssueMountProfileInput,
  LogoutResult,
  ManagedExport,
  ManagedExportInput,
  ManagedExportList,
  MountProfile,
  MySignIn,
  NasNode,
  NasSettings,
  NasSettingsUpdate,
  OwnMountCredential,
  RevokeMountCredentialsInput,
  Session,
  StorageExport,
  UpdateUserInput,
  User,
} from './types';

export interface ApiClientOptions {
  /** @default '/api/v1' */
  baseUrl?: string;
  /** Passed in so a test can answer requests itself. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Told when a call gets no answer (and when one does), so the page can say it is reconnecting. */
  connection?: ConnectionMonitor;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ApiClient {
  /** Called when a call that needs a session gets 401: the cookie expired or was revoked elsewhere. */
  onUnauthorized(listener: () => void): () => void;
  auth: {
    config(options?: RequestOptions): Promise<AuthConfig>;
    login(credentials: Credentials): Promise<AuthResult>;
    register(credentials: Credentials): Promise<AuthResult>;
    /** Resolves with `endSessionUrl` when the provider should end its session too (open it next). */
    logout(): Promise<LogoutResult>;
    /** Rejects with a 401 ApiError when nobody is signed in; that is not reported as a lost session. */
    me(options?: RequestOptions): Promise<User>;
    /** Who is signed in: null for nobody (answered 200, so the browser logs no failed request). */
    session(options?: RequestOptions): Promise<User | null>;
    /** Changes my own password; my other sessions end, my API tokens too unless kept. */
    changePassword(input: ChangePasswordInput): Promise<void>;
    /** Whether I have a password, and my linked provider accounts. */
    signIn(options?: RequestOptions): Promise<MySignIn>;
    /** Starts linking my account to the provider: resolves with the provider URL to open in this tab. */
    startLink(): Promise<string>;
    /** Settings → Authentication; admins only. */
    settings: {
      get(options?: RequestOptions): Promise<AuthSettings>;
      update(input: AuthSettingsUpdate): Promise<AuthSettings>;
    };
  };
  /** The signed-in user's own sessions. */
  sessions: {
    list(options?: RequestOptions): Promise<Session[]>;
    revoke(id: string): Promise<void>;
  };
  /** The signed-in user's own API tokens. */
  tokens: {
    list(options?: RequestOptions): Promise<ApiToken[]>;
    create(input: CreateTokenInput): Promise<CreatedToken>;
    revoke(id: string): Promise<void>;
  };
  /** Every account; admins only. */
  users: {
    list(options?: RequestOptions): Promise<AdminUser[]>;
    create(input: CreateUserInput): Promise<User>;
    update(id: string, input: UpdateUserInput): Promise<User>;
    /** Unlinks a provider account; the sessions opened through it end. */
    unlink(userId: string, identityId: string): Promise<void>;
  };
  /** Storage: nodes, exports, sharing (admins) and WebDAV mount credentials. */
  nas: {
    listNodes(options?: RequestOptions): Promise<NasNode[]>;
    listExports(options?: RequestOptions): Promise<StorageExport[]>;
    /** Who an export is shared with; admins only. */
    listGrants(exportId: string, options?: RequestOptions): Promise<ExportGrant[]>;
    /** Shares an export, or changes the access of an existing share (`none`: hidden from that member
     * whatever the default access); admins only. */
    share(exportId: string, userIdOrUsername: string, access: GrantAccess): Promise<ExportGrant>;
    /** Stops sharing; the server revokes that user's mount credentials for the export too. Admins only. */
    unshare(exportId: string, userId: string): Promise<void>;
    /** Each call issues a new short-lived credential. */
    issueMountProfile(input: IssueMountProfileInput, options?: RequestOptions): Promise<MountProfile>;
    /** Admins only; resolves to how many credentials were revoked. */
    revokeMountCredentials(filter: RevokeMountCredentialsInput): Promise<number>;
    /** My own outstanding mount credentials, newest first. */
    listMyCredentials(options?: RequestOptions): Promise<OwnMountCredential[]>;
    /** Revokes one credential by its username (members: their own only); resolves to 1, or 0 if it had ended. */
    revokeMountCredential(username: string): Promise<number>;
    /** Revokes my own credentials: all, or one export's. */
    revokeMyCredentials(filter?: { exportId?: string }): Promise<number>;
    /** A one-time token (1 h) with which the node's machine registers again, replacing token and key. Admins. */
    issueEnrolmentToken(nodeId: string): Promise<EnrolmentToken>;
    /** Ends every credential issued for the node; resolves to how many were outstanding. Admins. */
    rotateNodeKey(nodeId: string): Promise<number>;
    /** Forgets the node with its exports, shares and credentials. Admins. */
    removeNode(nodeId: string): Promise<void>;
    /** The node's roots and the exports added in them from the UI (409 agent_unsupported: betterNAS). Admins. */
    listManagedExports(nodeId: string, options?: RequestOptions): Promise<ManagedExportList>;
    /** Exports a folder inside one of the node's roots (its agent makes and checks it). Admins. */
    addManagedExport(nodeId: string, input: ManagedExportInput): Promise<ManagedExport>;
    /** A new label; the export keeps its id, mount path, shares and credentials. Admins. */
    renameManagedExport(nodeId: string, id: string, label: string): Promise<ManagedExport>;
    /** Stops exporting it (shares and credentials end); the folder stays on disk. Admins. */
    removeManagedExport(nodeId: string, id: string): Promise<void>;
    /** Settings → Storage; admins only. `update` is refused (409 setting_managed) when the configuration
     * pins the default access, and a narrower default ends the credentials members held under the old one. */
    settings: {
      get(options?: RequestOptions): Promise<NasSettings>;
      update(input: NasSettingsUpdate): Promise<NasSettings>;
    };
  };
}

interface CallOptions extends RequestOptions {
  body?: unknown;
  /**
   * Set on calls where 401 is an ordinary answer (wrong password, "who am I" while signed out),
   * so it does not count as a session that ended under the user's feet.
   */
  unauthorizedIsExpected?: boolean;
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? '/api/v1';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const unauthorizedListeners = new Set<() => void>();

  async function call<T>(method: string, path: string, callOptions: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (callOptions.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(callOptions.body);
    }
    if (callOptions.signal) init.signal = callOptions.signal;

    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, init);
    } catch (cause) {
      // An abort is the caller's own doing; let it through untouched so it can be ignored.
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      options.connection?.reportUnreachable();
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: 'Could not reach the Homeport server. Check your connection and try again.',
        cause,
      });
    }

    if (!response.ok) {
      const error = await readError(response);
      // A proxy's own error page (not our JSON body) while Homeport behind it is down or restarting.
      if (isUnreachable(error)) options.connection?.reportUnreachable();
      else options.connection?.reportReachable();
      if (response.status === 401 && !callOptions.unauthorizedIsExpected) {
        for (const listener of unauthorizedListeners) listener();
      }
      throw error;
    }
    options.connection?.reportReachable();
    // cast: callers of 204 endpoints ask for void (logout maps it to an empty result itself)
    if (response.status === 204) return undefined as T;
    // cast: the server is this project's own and its contract lives in ./types; a mismatch is a bug
    // to fix on one side, not input to tolerate.
    return (await response.json()) as T;
  }

  return {
    onUnauthorized(listener) {
      unauthorizedListeners.add(listener);
      return () => unauthorizedListeners.delete(listener);
    },
    auth: {
      config: (o) => call<AuthConfig>('GET', '/auth/config', { ...o, unauthorizedIsExpected: true }),
      login: (body) => call<AuthResult>('POST', '/auth/login', { body, unauthorizedIsExpected: true }),
      register: (body) => call<AuthResult>('POST', '/auth/register', { body, unauthorizedIsExpected: true }),
      logout: async () =>
        (await call<LogoutResult | undefined>('POST', '/auth/logout', { unauthorizedIsExpected: true })) ??
        {},
      me: (o) => call<User>('GET', '/auth/me', { ...o, unauthorizedIsExpected: true }),
      session: async (o) =>
        (await call<{ user: User | null }>('GET', '/auth/session', { ...o, unauthorizedIsExpected: true }))
          .user,
      changePassword: (body) => call<void>('POST', '/auth/password', { body }),
      signIn: (o) => call<MySignIn>('GET', '/auth/identities', o),
      startLink: async () => (await call<{ url: string }>('POST', '/auth/oidc/link')).url,
      settings: {
        get: (o) => call<AuthSettings>('GET', '/auth/settings', o),
        update: (body) => call<AuthSettings>('PUT', '/auth/settings', { body }),
      },
    },
    sessions: {
      list: async (o) => (await call<{ sessions: Session[] }>('GET', '/auth/sessions', o)).sessions,
      revoke: (id) => call<void>('DELETE', `/auth/sessions/${encodeURIComponent(id)}`),
    },
    tokens: {
      list: async (o) => (await call<{ tokens: ApiToken[] }>('GET', '/auth/tokens', o)).tokens,
      create: (body) => call<CreatedToken>('POST', '/auth/tokens', { body }),
      revoke: (id) => call<void>('DELETE', `/auth/tokens/${encodeURIComponent(id)}`),
    },
    users: {
      list: async (o) => (await call<{ users: AdminUser[] }>('GET', '/users', o)).users,
      create: (body) => call<User>('POST', '/users', { body }),
      update: (id, body) => call<User>('PATCH', `/users/${encodeURIComponent(id)}`, { body }),
      unlink: (userId, identityId) =>
        call<void>(
          'DELETE',
          `/users/${encodeURIComponent(userId)}/identities/${encodeURIComponent(identityId)}`,
        ),
    },
    nas: {
      listNodes: (o) => call<NasNode[]>('GET', '/nodes', o),
      listExports: (o) => call<StorageExport[]>('GET', '/exports', o),
      listGrants: async (exportId, o) =>
        (await call<{ grants: ExportGrant[] }>('GET', grantsPath(exportId), o)).grants,
      share: (exportId, user, access) =>
        call<ExportGrant>('PUT', grantPath(exportId, user), { body: { access } }),
      unshare: (exportId, userId) => call<void>('DELETE', grantPath(exportId, userId)),
      issueMountProfile: (body, o) => call<MountProfile>('POST', '/mount-profiles/issue', { ...o, body }),
      revokeMountCredentials: async (body) =>
        (await call<{ revoked: number }>('POST', '/mount-credentials/revoke', { body })).revoked,
      listMyCredentials: async (o) =>
        (await call<{ credentials: OwnMountCredential[] }>('GET', '/mount-credentials/mine', o)).credentials,
      revokeMountCredential: async (username) =>
        (await call<{ revoked: number }>('POST', `/mount-credentials/${encodeURIComponent(username)}/revoke`))
          .revoked,
      revokeMyCredentials: async (body = {}) =>
        (await call<{ revoked: number }>('POST', '/mount-credentials/mine/revoke', { body })).revoked,
      issueEnrolmentToken: (nodeId) => call<EnrolmentToken>('POST', `${nodePath(nodeId)}/enrolment-token`),
      rotateNodeKey: async (nodeId) =>
        (await call<{ revoked: number }>('POST', `${nodePath(nodeId)}/rotate-key`)).revoked,
      removeNode: (nodeId) => call<void>('DELETE', nodePath(nodeId)),
      listManagedExports: (nodeId, o) =>
        call<ManagedExportList>('GET', `${nodePath(nodeId)}/managed-exports`, o),
      addManagedExport: (nodeId, body) =>
        call<ManagedExport>('POST', `${nodePath(nodeId)}/managed-exports`, { body }),
      renameManagedExport: (nodeId, id, label) =>
        call<ManagedExport>('PATCH', `${nodePath(nodeId)}/managed-exports/${encodeURIComponent(id)}`, {
          body: { label },
        }),
      removeManagedExport: (nodeId, id) =>
        call<void>('DELETE', `${nodePath(nodeId)}/managed-exports/${encodeURIComponent(id)}`),
      settings: {
        get: (o) => call<NasSettings>('GET', '/nas/settings', o),
        update: (body) => call<NasSettings>('PUT', '/nas/settings', { body }),
      },
    },
  };
}

const nodePath = (nodeId: string) => `/nodes/${encodeURIComponent(nodeId)}`;
const grantsPath = (exportId: string) => `/exports/${encodeURIComponent(exportId)}/grants`;
const grantPath = (exportId: string, user: string) => `${grantsPath(exportId)}/${encodeURIComponent(user)}`;

/**
 * The call never reached Homeport: no answer at all (status 0), or a proxy's own error page (not our JSON
 * body) while Homeport behind it is down or restarting.
 */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.status === 0 || (isGatewayFailure(error.status) && error.code.startsWith('http_'));
}

/** The ApiError an error answer stands for: its `{ error: { code, message } }` body, else its status line. */
export async function readError(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  let code = `http_${response.status}`;
  let message = response.statusText || `Request failed with status ${response.status}`;
  try {
    const body: unknown = await response.json();
    if (isErrorBody(body)) {
      code = body.error.code;
      message = body.error.message;
    }
  } catch {
    // Not JSON (a proxy's HTML error page, an empty body): the status line is all there is.
  }
  return new ApiError({
    status: response.status,
    code,
    message,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

function isErrorBody(body: unknown): body is { error: { code: string; message: string } } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error: unknown = body.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
