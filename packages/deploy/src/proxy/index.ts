// The built-in reverse proxy's public surface.

export { ProxyError, type ProxyErrorCode } from './errors.js';
export { createProxy } from './proxy.js';
export type {
  DrainResult,
  InFlightCount,
  InProcessProxy,
  ProxyLimits,
  ProxyOptions,
  ProxyRoute,
  ProxyRouteStatus,
  ReverseProxy,
} from './types.js';
export {
  createProxyWorkerPool,
  type ProxyWorkerPool,
  type ProxyWorkerPoolOptions,
} from './workers/worker-pool.js';
