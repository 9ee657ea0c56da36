// The messages between Homeport (the cluster primary) and its proxy workers, and their checks: each side
// validates what it receives, as at any other edge.

import type { Registry } from 'prom-client';
import type { DrainResult, InFlightCount, ProxyLimits, ProxyRoute } from '../types.js';

/** What a worker is started with: sent over the cluster's private IPC pipe, never in its environment. */
export interface ProxyWorkerConfig {
  /** 0 … count-1, stable across restarts of the same slot (log lines name it). */
  index: number;
  host: string;
  port: number;
  logLevel: string;
  limits: ProxyLimits;
  /** A secret: the deployer's probe proves itself with it. */
  probeToken?: string;
  trustForwardedFrom: string[];
  /** Whether to keep the proxy's metrics (the primary sums them when scraped). */
  metrics: boolean;
}

/** The whole route table and the maintenance messages, numbered: a worker applies it and confirms `seq`. */
export interface ProxyTableWire {
  seq: number;
  routes: [string, ProxyRoute][];
  maintenance: [string, string][];
}

export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Primary → worker. */
export type ToProxyWorker =
  | { type: 'start'; config: ProxyWorkerConfig }
  | ({ type: 'table' } & ProxyTableWire)
  | { type: 'drain'; id: number; upstream: string; timeoutMs: number }
  | { type: 'in-flight'; id: number; upstream: string }
  | { type: 'metrics'; id: number }
  | { type: 'stop'; timeoutMs: number };

/** Worker → primary. */
export type FromProxyWorker =
  | { type: 'hello' }
  | { type: 'listening'; port: number }
  | { type: 'listen-failed'; code: string; message: string }
  | { type: 'applied'; seq: number }
  | ({ type: 'drained'; id: number } & DrainResult)
  | ({ type: 'in-flight'; id: number } & InFlightCount)
  | { type: 'metrics'; id: number; metrics: MetricsJson }
  | { type: 'log'; line: string };

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isString = (value: unknown): value is string => typeof value === 'string';
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const optional = <T>(value: unknown, check: (v: unknown) => v is T): boolean =>
  value === undefined || check(value);

function isLimits(value: unknown): value is ProxyLimits {
  return (
    isObject(value) &&
    isCount(value.maxBodyBytes) &&
    isCount(value.upstreamTimeoutMs) &&
    optional(value.maxSocketsPerUpstream, isCount) &&
    optional(value.maxFreeSocketsPerUpstream, isCount) &&
    optional(value.headersTimeoutMs, isCount)
  );
}

function isConfig(value: unknown): value is ProxyWorkerConfig {
  return (
    isObject(value) &&
    isCount(value.index) &&
    isString(value.host) &&
    isCount(value.port) &&
    isString(value.logLevel) &&
    isLimits(value.limits) &&
    optional(value.probeToken, isString) &&
    isStringArray(value.trustForwardedFrom) &&
    typeof value.metrics === 'boolean'
  );
}

/** The shape only: the worker's proxy checks the values (host name, upstream URL) as for any caller. */
function isRoute(value: unknown): value is ProxyRoute {
  return (
    isObject(value) &&
    isString(value.upstream) &&
    isString(value.stage) &&
    isString(value.release) &&
    isString(value.color) &&
    optional(value.excludePaths, isStringArray)
  );
}

const isPairs = <T>(value: unknown, check: (v: unknown) => v is T): value is [string, T][] =>
  Array.isArray(value) &&
  value.every((pair) => Array.isArray(pair) && pair.length === 2 && isString(pair[0]) && check(pair[1]));

/** The message if it is one the primary sends, else undefined. */
export function parseToProxyWorker(message: unknown): ToProxyWorker | undefined {
  if (!isObject(message)) return undefined;
  switch (message.type) {
    case 'start':
      return isConfig(message.config) ? { type: 'start', config: message.config } : undefined;
    case 'table':
      return isCount(message.seq) &&
        isPairs(message.routes, isRoute) &&
        isPairs(message.maintenance, isString)
        ? { type: 'table', seq: message.seq, routes: message.routes, maintenance: message.maintenance }
        : undefined;
    case 'drain':
      return isCount(message.id) && isString(message.upstream) && isCount(message.timeoutMs)
        ? { type: 'drain', id: message.id, upstream: message.upstream, timeoutMs: message.timeoutMs }
        : undefined;
    case 'in-flight':
      return isCount(message.id) && isString(message.upstream)
        ? { type: 'in-flight', id: message.id, upstream: message.upstream }
        : undefined;
    case 'metrics':
      return isCount(message.id) ? { type: 'metrics', id: message.id } : undefined;
    case 'stop':
      return isCount(message.timeoutMs) ? { type: 'stop', timeoutMs: message.timeoutMs } : undefined;
    default:
      return undefined;
  }
}

/** prom-client's JSON of a registry: each metric named, typed, with an aggregator and its values. */
function isMetricsJson(value: unknown): value is MetricsJson {
  return (
    Array.isArray(value) &&
    value.every(
      (metric) =>
        isObject(metric) &&
        isString(metric.name) &&
        isString(metric.help) &&
        isString(metric.type) &&
        isString(metric.aggregator) &&
        Array.isArray(metric.values) &&
        metric.values.every((item: unknown) => isObject(item) && typeof item.value === 'number'),
    )
  );
}

/** The message if it is one a worker sends, else undefined. */
export function parseFromProxyWorker(message: unknown): FromProxyWorker | undefined {
  if (!isObject(message)) return undefined;
  switch (message.type) {
    case 'hello':
      return { type: 'hello' };
    case 'listening':
      return isCount(message.port) ? { type: 'listening', port: message.port } : undefined;
    case 'listen-failed':
      return isString(message.code) && isString(message.message)
        ? { type: 'listen-failed', code: message.code, message: message.message }
        : undefined;
    case 'applied':
      return isCount(message.seq) ? { type: 'applied', seq: message.seq } : undefined;
    case 'drained':
      return isCount(message.id) &&
        isCount(message.completed) &&
        isCount(message.cut) &&
        isCount(message.closedLongLived)
        ? {
            type: 'drained',
            id: message.id,
            completed: message.completed,
            cut: message.cut,
            closedLongLived: message.closedLongLived,
          }
        : undefined;
    case 'in-flight':
      return isCount(message.id) && isCount(message.http) && isCount(message.longLived)
        ? { type: 'in-flight', id: message.id, http: message.http, longLived: message.longLived }
        : undefined;
    case 'metrics':
      return isCount(message.id) && isMetricsJson(message.metrics)
        ? { type: 'metrics', id: message.id, metrics: message.metrics }
        : undefined;
    case 'log':
      return isString(message.line) ? { type: 'log', line: message.line } : undefined;
    default:
      return undefined;
  }
}
