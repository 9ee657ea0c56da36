// The built-in reverse proxy's public surface.

export { ProxyError, type ProxyErrorCode } from './errors.js';
export { createProxy } from './proxy.js';
export type {
  DrainResult,
  ProxyLimits,
  ProxyOptions,
  ProxyRoute,
  ProxyRouteStatus,
  ReverseProxy,
} from './types.js';
