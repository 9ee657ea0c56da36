// Keys of the accounts records in JetStream KV (the layout and why it is so: kv-store.ts). Every variable
// part goes through keyToken, so any text is one safe token and a prefix never matches more than intended.

import { fromKeyToken, keyToken } from '@homeport/core';

const t = keyToken;

export const BUCKETS = {
  /** Users, sessions, API tokens, identities, OIDC session records, settings. */
  records: 'records',
  /** OIDC login attempts: minutes-long, so the bucket's max age is a backstop for a sweep that never runs. */
  loginAttempts: 'login_attempts',
} as const;

/** Login attempts live minutes; an entry a day old is garbage whatever its own expiry says. */
export const LOGIN_ATTEMPTS_MAX_AGE_MS = 86_400_000;

export const keys = {
  user: (id: string) => `user.id.${t(id)}`,
  users: 'user.id.',
  userName: (username: string) => `user.name.${t(username.toLowerCase())}`,

  session: (tokenHash: string) => `session.hash.${t(tokenHash)}`,
  sessionId: (id: string) => `session.id.${t(id)}`,
  sessionIds: 'session.id.',
  sessionOfUser: (userId: string, id: string, tokenHash: string) =>
    `session.user.${t(userId)}.${t(id)}.${t(tokenHash)}`,
  sessionsOfUser: (userId: string) => `session.user.${t(userId)}.`,

  token: (tokenHash: string) => `token.hash.${t(tokenHash)}`,
  tokenId: (id: string) => `token.id.${t(id)}`,
  tokenOfUser: (userId: string, id: string, tokenHash: string) =>
    `token.user.${t(userId)}.${t(id)}.${t(tokenHash)}`,
  tokensOfUser: (userId: string) => `token.user.${t(userId)}.`,

  identity: (id: string) => `identity.id.${t(id)}`,
  identities: 'identity.id.',
  identitySubject: (issuer: string, subject: string) => `identity.subject.${t(issuer)}.${t(subject)}`,
  identityOfUser: (userId: string, id: string) => `identity.user.${t(userId)}.${t(id)}`,
  identitiesOfUser: (userId: string) => `identity.user.${t(userId)}.`,

  oidcSession: (sessionId: string) => `oidc_session.session.${t(sessionId)}`,
  oidcSessionOfIdentity: (identityId: string, sessionId: string) =>
    `oidc_session.identity.${t(identityId)}.${t(sessionId)}`,
  oidcSessionsOfIdentity: (identityId: string) => `oidc_session.identity.${t(identityId)}.`,

  authSettings: 'settings.auth',

  loginAttempt: (stateHash: string) => `attempt.${t(stateHash)}`,
  loginAttempts: 'attempt.',
  loginAttemptTaken: (stateHash: string) => `taken.${t(stateHash)}`,
  loginAttemptsTaken: 'taken.',
};

/** The texts of the tokens after `prefix` in a key listed under it. */
export const tokensAfter = (key: string, prefix: string): string[] =>
  key.slice(prefix.length).split('.').map(fromKeyToken);
