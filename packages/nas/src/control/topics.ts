// Live topics of the NAS module: admins follow nodes and exports by id; members hear only that their own
// view changed, on their own topic or (while a default access is on) on the shared one.

export const NODES_TOPIC = 'nas.nodes';
export const EXPORTS_TOPIC = 'nas.exports';
/** Per member: "something you were shared changed" (no ids), so a member's page reloads its own view. */
export const SHARES_TOPIC_PREFIX = 'nas.shares.';
export const sharesTopic = (userId: string) => `${SHARES_TOPIC_PREFIX}${userId}`;
/** For every member while a default access is on: "exports changed" (no ids), as on their own topic. */
export const SHARED_TOPIC = 'nas.shared';
