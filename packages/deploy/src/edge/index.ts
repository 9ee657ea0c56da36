// The TLS-edge drivers' public surface.

export { type CaddyEdgeOptions, createCaddyEdge } from './caddy.js';
export { type AdminTransport, caddyAdminRequest } from './caddy-admin.js';
export type { EdgeTls } from './caddy-plan.js';
export { edgeHostName } from './host-name.js';
export { createNginxEdge, type NginxEdgeOptions } from './nginx.js';
export { type NginxCommand, nginxReload } from './nginx-reload.js';
export { createNoEdge } from './none.js';
export type { EdgeDriver } from './types.js';
