// Topic names and patterns with NATS subject meanings: dot-separated tokens, `*` for exactly one token,
// `>` (last only) for one or more — the same rules whether a hub runs in process or on JetStream.

/** One token: letters, digits, `_` and `-` (ids in topics are base64url). Never empty, never a wildcard. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Longest topic name; what the SSE route accepts and what fits a NATS subject with room to spare. */
export const MAX_TOPIC_LENGTH = 128;

/**
 * A concrete topic (`accounts.users`, `nas.shares.<userId>`): what `publish` takes and what a client may ask
 * for. Starts with a letter or digit; no empty token (`a..b`, `a.`), which NATS would refuse as a subject.
 */
export function isTopicName(topic: string): boolean {
  if (topic.length === 0 || topic.length > MAX_TOPIC_LENGTH || !/^[A-Za-z0-9]/.test(topic)) return false;
  return topic.split('.').every((token) => TOKEN.test(token));
}

/** A topic or a pattern: tokens, `*` anywhere, `>` only as the last token. */
export function isTopicPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > MAX_TOPIC_LENGTH) return false;
  const tokens = pattern.split('.');
  return tokens.every(
    (token, index) => TOKEN.test(token) || token === '*' || (token === '>' && index === tokens.length - 1),
  );
}

export const isWildcard = (pattern: string): boolean =>
  pattern.split('.').some((t) => t === '*' || t === '>');

/**
 * Whether `topic` matches `pattern` as a NATS subject matches a subscription: `nas.shares.*` matches
 * `nas.shares.u1` but not `nas.shares.u1.x` nor `nas.shares`; `deploy.>` matches `deploy.a` and `deploy.a.b`.
 */
export function matchesTopic(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  const want = pattern.split('.');
  const have = topic.split('.');
  for (let i = 0; i < want.length; i += 1) {
    const token = want[i];
    if (token === '>') return have.length > i;
    if (i >= have.length) return false;
    if (token !== '*' && token !== have[i]) return false;
  }
  return want.length === have.length;
}
