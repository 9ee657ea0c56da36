// Public surface of the agent's WebDAV server: the request handler, its state, and the types callers need.

export type { DavScope } from './context.js';
export { DavError, type DavErrorCode } from './errors.js';
export { createDavHandler, type DavHandler, type DavHandlerOptions } from './handler.js';
export type { LockTimeouts } from './headers.js';
export { type DavLimits, DEFAULT_DAV_LIMITS } from './limits.js';
export { type DavState, openDavState } from './state/dav-state.js';
