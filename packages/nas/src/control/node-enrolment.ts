// Node identity on the control plane: registering machines (bootstrap, node and re-enrolment tokens), the
// key generations a node verifies credentials with, and authenticating node requests within their budget.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@homeport/core';
import { NasError } from '../errors.js';
import { acceptedKeys, rotateKey } from './node-keys.js';
import { createNodeThrottle } from './node-throttle.js';
import type { AgentKind, NasStore, NodeRecord } from './store/repositories.js';

/** Who calls a node route: the bearer token it presented and its address (for the refusal budget). */
export interface NodeCaller {
  bearer: string | undefined;
  ip: string;
}

export interface RegistrationInput {
  /** Which agent registers: Homeport's says so in a header, anything else is taken for a betterNAS agent. */
  agentKind: AgentKind;
  machineId: string;
  displayName: string;
  agentVersion: string;
  directAddress: string | null;
  relayAddress: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** How long an admin's re-enrolment token may be used. */
export const ENROLMENT_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Nodes the bootstrap token may create in all: every agent host holds it, so it must not fill the database. */
export const MAX_NODES = 256;
export const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

/** Stored in place of a node token's digest when the token is void: no token hashes to it. */
const VOID_TOKEN_HASH = '';

/** Constant-time comparison of a presented token with a stored SHA-256 hex digest. */
function tokenMatches(token: string, storedHex: string | null): boolean {
  if (storedHex === null || storedHex === VOID_TOKEN_HASH) return false;
  const stored = Buffer.from(storedHex, 'hex');
  const given = sha256(token);
  return stored.length === given.length && timingSafeEqual(stored, given);
}

export interface NodeEnrolmentOptions {
  store: NasStore;
  log: Logger;
  clock: () => number;
  bootstrapToken: string;
  davAuthSecret: string;
  ttlSeconds: number;
  /** Stores and announces a node's status when it changed (the service owns the topics). */
  publishStatus: (node: NodeRecord) => Promise<void>;
}

export type NodeEnrolment = ReturnType<typeof createNodeEnrolment>;

export function createNodeEnrolment(options: NodeEnrolmentOptions) {
  const { store, log, clock, ttlSeconds, publishStatus } = options;
  const nowIso = () => new Date(clock()).toISOString();
  const nowSeconds = () => Math.floor(clock() / 1000);

  const throttle = createNodeThrottle({ clock });
  const tooMany = () =>
    new NasError('rate_limited', 'Too many node requests; slow down', {
      retryAfterSeconds: 60,
    });
  /** A refusal of a node request, or 429 once the caller's address has been refused too often. */
  const refusal = (caller: NodeCaller, message: string) =>
    throttle.refused(caller.ip) ? tooMany() : new NasError('unauthorized', message);

  const authenticateNode = async (nodeId: string, caller: NodeCaller): Promise<NodeRecord> => {
    const node = await store.nodes.byId(nodeId);
    const token = caller.bearer;
    // An unknown node is a 404, as betterNAS answers; it counts against the address like a bad token, so
    // probing for node ids runs into the same refusal budget.
    if (!node) {
      throw throttle.refused(caller.ip) ? tooMany() : new NasError('node_not_found', `No node "${nodeId}"`);
    }
    if (token === undefined || !tokenMatches(token, node.tokenHash)) {
      throw refusal(caller, 'Node token required (Authorization: Bearer)');
    }
    if (throttle.admitted(node.id)) throw tooMany();
    return node;
  };

  const nodeOrThrow = async (nodeId: string): Promise<NodeRecord> => {
    const node = await store.nodes.byId(nodeId);
    if (!node) throw new NasError('node_not_found', `No node "${nodeId}"`);
    return node;
  };

  /**
   * What changes when a known node re-registers with its own token. A Homeport agent: the next key
   * generation, the ones before kept until what they signed expires. A betterNAS agent replaced by a
   * Homeport agent on the same machine (an upgrade): the credentials issued in betterNAS's format end, as
   * the new agent would refuse them anyway. The reverse would turn off per-node keys and revocation with
   * nothing but a node token: it takes an admin's re-enrolment token.
   */
  const reRegistration = async (existing: NodeRecord, kind: AgentKind) => {
    if (existing.agentKind === 'homeport' && kind === 'betternas') {
      throw new NasError(
        'agent_kind_downgrade',
        `Node ${existing.id} runs a Homeport agent; to replace it with a betterNAS agent, an admin issues a re-enrolment token (POST /api/v1/nodes/${existing.id}/enrolment-token)`,
      );
    }
    if (kind === 'betternas') return {};
    if (existing.agentKind === 'betternas') {
      const revoked = await store.credentials.revoke({ nodeId: existing.id }, nowIso(), nowSeconds());
      log.info({ nodeId: existing.id, revoked }, 'betterNAS agent replaced by a Homeport agent');
    }
    return rotateKey(existing, { grace: true, nowSeconds: nowSeconds(), ttlSeconds });
  };

  return {
    authenticateNode,
    nodeOrThrow,

    /**
     * Registers a new machine (bootstrap token) or re-registers a known one. A known machine needs its own
     * node token (same node, same token, next key generation with the old ones kept until what they signed
     * expires) or a one-time re-enrolment token from an admin (a new node token, a new key generation
     * without grace: the previous holder loses everything). The bootstrap token never takes over a node.
     * `token` is set only when a new node token was issued.
     */
    async registerNode(caller: NodeCaller, input: RegistrationInput) {
      const { bearer } = caller;
      const existing = await store.nodes.byMachineId(input.machineId);
      const refuse = (message: string) => refusal(caller, message);
      const bootstrap =
        bearer !== undefined && timingSafeEqual(sha256(bearer), sha256(options.bootstrapToken));
      const fields = {
        agentKind: input.agentKind,
        machineId: input.machineId,
        displayName: input.displayName,
        agentVersion: input.agentVersion,
        reportedStatus: 'online' as const,
        lastSeenAt: clock(),
        directAddress: input.directAddress,
        relayAddress: input.relayAddress,
      };
      let node: NodeRecord;
      let token: string | undefined;
      if (!existing) {
        if (!bootstrap) throw refuse('Registering a new node needs the bootstrap token');
        if ((await store.nodes.count()) >= MAX_NODES) {
          throw new NasError(
            'too_many_nodes',
            `This control plane already has ${MAX_NODES} nodes; forget unused ones (DELETE /api/v1/nodes/{nodeId}) first`,
          );
        }
        token = randomBytes(32).toString('hex');
        node = {
          ...fields,
          id: newId('node'),
          status: 'offline',
          tokenHash: sha256(token).toString('hex'),
          createdAt: nowIso(),
          keyId: 1,
          graceFromKeyId: 1,
          graceUntil: null,
          enrolmentHash: null,
          enrolmentExpiresAt: null,
        };
      } else if (bearer !== undefined && tokenMatches(bearer, existing.tokenHash)) {
        node = { ...existing, ...fields, ...(await reRegistration(existing, input.agentKind)) };
      } else if (
        bearer !== undefined &&
        tokenMatches(bearer, existing.enrolmentHash) &&
        (existing.enrolmentExpiresAt ?? 0) > clock() &&
        (await store.nodes.takeEnrolment(existing.id, existing.enrolmentHash as string)) // matched above
      ) {
        token = randomBytes(32).toString('hex');
        const keys = rotateKey(existing, { grace: false, nowSeconds: nowSeconds(), ttlSeconds });
        node = {
          ...existing,
          ...fields,
          ...keys,
          tokenHash: sha256(token).toString('hex'),
          enrolmentHash: null,
          enrolmentExpiresAt: null,
        };
        await store.credentials.revoke({ nodeId: existing.id }, nowIso(), nowSeconds());
        log.warn(
          { nodeId: existing.id, machineId: input.machineId },
          'node re-enrolled; its old token and key are void',
        );
      } else {
        throw refuse(
          bootstrap
            ? `Machine ${input.machineId} is already registered as node ${existing.id}: re-register with its node token, or have an admin issue a re-enrolment token (POST /api/v1/nodes/${existing.id}/enrolment-token)`
            : 'Registering a node needs the bootstrap token (new machines) or the node token',
        );
      }
      await store.nodes.save(node);
      log.info(
        {
          nodeId: node.id,
          machineId: node.machineId,
          reRegistered: existing !== undefined,
          keyId: node.keyId,
        },
        'node registered',
      );
      await publishStatus(node);
      return { node, token };
    },

    /** The key generations the node verifies credentials with, and the longest lifetime issued. */
    async nodeKeys(nodeId: string, caller: NodeCaller) {
      const node = await authenticateNode(nodeId, caller);
      return {
        nodeId,
        keys: acceptedKeys(node, options.davAuthSecret, nowSeconds()),
        maxTtlSeconds: ttlSeconds,
      };
    },

    /**
     * One-time token (admin) with which the node's machine registers again. Issuing it voids the node's
     * current token and key at once (a stolen token is the usual reason to re-enrol): the node is cut off,
     * its credentials end, until an agent registers with this token.
     */
    async issueEnrolmentToken(nodeId: string) {
      const node = await nodeOrThrow(nodeId);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = clock() + ENROLMENT_TOKEN_TTL_MS;
      const keys = rotateKey(node, { grace: false, nowSeconds: nowSeconds(), ttlSeconds });
      await store.nodes.save({
        ...node,
        ...keys,
        tokenHash: VOID_TOKEN_HASH,
        enrolmentHash: sha256(token).toString('hex'),
        enrolmentExpiresAt: expiresAt,
      });
      const revoked = await store.credentials.revoke({ nodeId }, nowIso(), nowSeconds());
      log.warn({ nodeId, revoked }, 're-enrolment token issued; the node token and key are void');
      return { token, expiresAt: new Date(expiresAt).toISOString() };
    },

    /** Next key generation without grace (admin): every credential issued for the node ends now. */
    async rotateNodeKey(nodeId: string) {
      const node = await nodeOrThrow(nodeId);
      if (node.agentKind === 'betternas') {
        // Its agent verifies with the shared secret and learns no revocations: a rotation would claim to
        // end credentials that keep working.
        throw new NasError(
          'rotation_not_applicable',
          `Node ${nodeId} runs a betterNAS agent, which verifies credentials with the shared BETTERNAS_DAV_AUTH_SECRET: only a new secret, on Homeport and on every betterNAS agent, ends them before they expire`,
        );
      }
      const keys = rotateKey(node, { grace: false, nowSeconds: nowSeconds(), ttlSeconds });
      await store.nodes.save({ ...node, ...keys });
      const revoked = await store.credentials.revoke({ nodeId }, nowIso(), nowSeconds());
      log.warn({ nodeId, keyId: keys.keyId, revoked }, 'node key rotated');
      return { keyId: keys.keyId, revoked };
    },
  };
}
