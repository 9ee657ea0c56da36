// The TLS-edge drivers' public surface.

export { type CaddyEdgeOptions, createCaddyEdge } from './caddy.js';
export type { EdgeTls } from './caddy-plan.js';
export { edgeHostName } from './host-name.js';
export { createNoEdge } from './none.js';
export type { EdgeDriver } from './types.js';
