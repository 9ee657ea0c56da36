// Test support (`@homeport/nas/testing`): in-process helpers for the NAS control-plane tests — register a
// node, sync its exports, make a member, issue a profile and heartbeat — all through the real routes with
// `inject()`, on any test Homeport that runs the NAS module.

import type { HttpApp } from '@homeport/core';
import { AGENT_HEADER, AGENT_PROTOCOL } from './agent-protocol.js';

/** What the helpers drive: a Homeport built in-process (buildTestHomeport of @homeport/accounts/testing fits). */
export interface NasTestApp {
  app: Pick<HttpApp, 'inject'>;
  /** Signs in; resolves to the session token. */
  login(username: string, password: string): Promise<string>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const NAS_BOOTSTRAP = 'bootstrap-token-for-tests-0123456789';
export const NAS_DAV_SECRET = 'dav-secret-for-tests-0123456789';
export const NAS_CLIENT_TOKEN = 'client-token-0123456789';

/** Settings every NAS control-plane test starts from. */
export const nasEnv = (extra: Record<string, string> = {}) => ({
  HOMEPORT_NODE_BOOTSTRAP_TOKEN: NAS_BOOTSTRAP,
  HOMEPORT_DAV_AUTH_SECRET: NAS_DAV_SECRET,
  HOMEPORT_CLIENT_TOKEN: NAS_CLIENT_TOKEN,
  ...extra,
});

export const registration = (machineId = 'machine-1') => ({
  machineId,
  displayName: 'Basement NAS',
  agentVersion: '0.1.0',
  directAddress: 'http://127.0.0.1:8090',
  relayAddress: null,
});

/** An inventory entry as an agent sends it; the mount path defaults to `/dav/<label, made URL-safe>/`. */
export const exportInput = (path: string, label: string, mountPath?: string) => ({
  label,
  path,
  mountPath: mountPath ?? `/dav/${label.toLowerCase().replace(/[^a-z0-9_~-]+/g, '-')}/`,
  protocols: ['webdav'],
  capacityBytes: 1_000_000 as number | null,
  tags: ['home'],
});

/** Route helpers bound to the test's current app (`t` changes per test). */
export function nasHarness(app: () => NasTestApp) {
  return {
    /** Registers as a Homeport agent does (its header); `kind: 'betternas'` leaves the header out. */
    async register(
      token = NAS_BOOTSTRAP,
      machineId = 'machine-1',
      kind: 'homeport' | 'betternas' = 'homeport',
    ) {
      const response = await app().app.inject({
        method: 'POST',
        url: '/api/v1/nodes/register',
        headers: { ...bearer(token), ...(kind === 'homeport' ? { [AGENT_HEADER]: AGENT_PROTOCOL } : {}) },
        payload: registration(machineId),
      });
      return {
        response,
        nodeToken: response.headers['x-betternas-node-token'] as string,
        node: response.json(),
      };
    },

    sync(nodeId: string, nodeToken: string, exports: readonly object[]) {
      return app().app.inject({
        method: 'PUT',
        url: `/api/v1/nodes/${nodeId}/exports`,
        headers: bearer(nodeToken),
        payload: { exports },
      });
    },

    /** `exports`: the space of each export, as the agent measures it at every heartbeat. */
    heartbeat(nodeId: string, nodeToken: string, exports?: readonly Record<string, unknown>[]) {
      return app().app.inject({
        method: 'POST',
        url: `/api/v1/nodes/${nodeId}/heartbeat`,
        headers: bearer(nodeToken),
        payload: {
          nodeId,
          status: 'online',
          lastSeenAt: new Date().toISOString(),
          ...(exports ? { exports } : {}),
        },
      });
    },

    /** GET a JSON route with a bearer token; the body parsed. */
    async get<T>(token: string, url: string): Promise<{ status: number; body: T; raw: string }> {
      const response = await app().app.inject({ url, headers: bearer(token) });
      // The route's response schema; each test asserts on what it reads.
      return { status: response.statusCode, body: response.json() as T, raw: response.body };
    },

    /** The signed-in user's own outstanding credentials. */
    async mine(token: string) {
      const response = await app().app.inject({
        url: '/api/v1/mount-credentials/mine',
        headers: bearer(token),
      });
      // The route's response schema.
      return (response.json() as { credentials: { username: string; exportId: string }[] }).credentials;
    },

    revokeOne(token: string, username: string) {
      return app().app.inject({
        method: 'POST',
        url: `/api/v1/mount-credentials/${encodeURIComponent(username)}/revoke`,
        headers: bearer(token),
      });
    },

    async member(admin: string, username = 'mia') {
      const created = await app().app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: bearer(admin),
        payload: { username, password: 'member-password' },
      });
      return { id: created.json().id as string, token: await app().login(username, 'member-password') };
    },

    issue(token: string, exportId: string, readonly?: boolean) {
      return app().app.inject({
        method: 'POST',
        url: '/api/v1/mount-profiles/issue',
        headers: bearer(token),
        payload: { exportId, ...(readonly === undefined ? {} : { readonly }) },
      });
    },

    revocations(nodeId: string, nodeToken: string) {
      return app().app.inject({ url: `/api/v1/nodes/${nodeId}/revocations`, headers: bearer(nodeToken) });
    },
  };
}
