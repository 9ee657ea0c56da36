// Setting descriptors: one place per setting for its env name, flag, file key, parser, default and doc.

import { formatDuration, parseDuration } from './duration.js';

/** A problem found while reading one setting; the loader collects them all before failing. */
export class SettingProblem extends Error {}

export interface SettingBase {
  /** Dotted key in the YAML config file (`session.ttl` → `session: { ttl: … }`). */
  key: string;
  /** Environment variable (`HOMEPORT_SESSION_TTL`). */
  env: string;
  /** Other environment variables accepted, e.g. the names betterNAS used. */
  aliases?: readonly string[];
  /** Long CLI flag name without dashes, when the setting has one. */
  flag?: string;
  doc: string;
  /** Never printed in `homeport config show` or logs. */
  secret?: boolean;
}

export interface Setting<T> extends SettingBase {
  /** Parses a raw value (a string from env/flags, or a YAML scalar); throws SettingProblem. */
  parse(raw: unknown): T;
  /** Undefined means "no default": the setting is optional and reads as undefined. */
  defaultValue: T | undefined;
  /** How the default is shown in the configuration reference. */
  defaultText: string;
}

type Spec = Omit<SettingBase, never>;
/** A setting without a default reads as `T | undefined`. */
type Opt<S, T> = S extends { default: unknown } ? T : T | undefined;

function asText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new SettingProblem('must be a string');
}

export function stringSetting<
  S extends Spec & { default?: string; pattern?: RegExp; patternHint?: string; minLength?: number },
>(spec: S): Setting<Opt<S, string>> {
  const setting: Setting<string> = {
    ...spec,
    defaultValue: spec.default,
    defaultText: spec.default === undefined ? '(unset)' : JSON.stringify(spec.default),
    parse(raw) {
      const text = asText(raw);
      if (spec.minLength !== undefined && text.length < spec.minLength)
        throw new SettingProblem(`must be at least ${spec.minLength} characters`);
      if (spec.pattern && !spec.pattern.test(text))
        throw new SettingProblem(`must be ${spec.patternHint ?? `like ${spec.pattern}`}`);
      return text;
    },
  };
  return setting as Setting<Opt<S, string>>; // Opt only widens T with undefined
}

export function intSetting<S extends Spec & { default?: number; min?: number; max?: number }>(
  spec: S,
): Setting<Opt<S, number>> {
  const setting: Setting<number> = {
    ...spec,
    defaultValue: spec.default,
    defaultText: spec.default === undefined ? '(unset)' : String(spec.default),
    parse(raw) {
      const text = asText(raw).trim();
      if (!/^-?\d+$/.test(text))
        throw new SettingProblem(`must be a whole number, got ${JSON.stringify(text)}`);
      const value = Number(text);
      if (spec.min !== undefined && value < spec.min)
        throw new SettingProblem(`must be at least ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw new SettingProblem(`must be at most ${spec.max}`);
      return value;
    },
  };
  return setting as Setting<Opt<S, number>>; // Opt only widens T with undefined
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

export function boolSetting(spec: Spec & { default: boolean }): Setting<boolean> {
  return {
    ...spec,
    defaultValue: spec.default,
    defaultText: String(spec.default),
    parse(raw) {
      if (typeof raw === 'boolean') return raw;
      const text = asText(raw).trim().toLowerCase();
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      throw new SettingProblem(`must be true or false, got ${JSON.stringify(text)}`);
    },
  };
}

/** A duration in milliseconds, written "30s", "2m", "720h" or "1h30m". */
export function durationSetting<S extends Spec & { default?: string; minMs?: number }>(
  spec: S,
): Setting<Opt<S, number>> {
  const parse = (raw: unknown): number => {
    const text = asText(raw);
    const ms = parseDuration(text);
    if (ms === undefined)
      throw new SettingProblem(`must be a duration like 30s, 10m or 720h, got ${JSON.stringify(text)}`);
    if (spec.minMs !== undefined && ms < spec.minMs)
      throw new SettingProblem(`must be at least ${formatDuration(spec.minMs)}`);
    return ms;
  };
  return {
    ...spec,
    defaultValue: spec.default === undefined ? undefined : parse(spec.default),
    defaultText: spec.default ?? '(unset)',
    parse,
  } as Setting<Opt<S, number>>; // Opt only widens T with undefined
}

export function enumSetting<const T extends string, S extends Spec & { values: readonly T[]; default?: T }>(
  spec: S & { values: readonly T[] },
): Setting<Opt<S, T>> {
  const setting: Setting<T> = {
    ...spec,
    defaultValue: spec.default,
    defaultText: spec.default ?? '(unset)',
    parse(raw) {
      const text = asText(raw).trim();
      if ((spec.values as readonly string[]).includes(text)) return text as T; // checked just above
      throw new SettingProblem(`must be one of ${spec.values.join(', ')}, got ${JSON.stringify(text)}`);
    },
  };
  return setting as Setting<Opt<S, T>>; // Opt only widens T with undefined
}

/** A comma-separated list (or a YAML sequence) of strings. */
export function listSetting<
  S extends Spec & { default?: readonly string[]; item?: (value: string) => string },
>(spec: S): Setting<Opt<S, string[]>> {
  const setting: Setting<string[]> = {
    ...spec,
    defaultValue: spec.default ? [...spec.default] : undefined,
    defaultText: spec.default ? JSON.stringify(spec.default.join(',')) : '(unset)',
    parse(raw) {
      const items = Array.isArray(raw) ? raw.map(asText) : asText(raw).split(',');
      const cleaned = items.map((item) => item.trim()).filter((item) => item !== '');
      return spec.item ? cleaned.map(spec.item) : cleaned;
    },
  };
  return setting as Setting<Opt<S, string[]>>; // Opt only widens T with undefined
}

/** An absolute http(s) URL, returned without a trailing slash. */
export function urlSetting<S extends Spec & { default?: string }>(spec: S): Setting<Opt<S, string>> {
  const setting: Setting<string> = {
    ...spec,
    defaultValue: spec.default,
    defaultText: spec.default ?? '(unset)',
    parse(raw) {
      const text = asText(raw).trim();
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new SettingProblem(
          `must be an absolute URL like https://homeport.example.com, got ${JSON.stringify(text)}`,
        );
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new SettingProblem('must be an http:// or https:// URL');
      return text.replace(/\/+$/, '');
    },
  };
  return setting as Setting<Opt<S, string>>; // Opt only widens T with undefined
}

/** A group of settings a package declares; the loader reads and validates whole groups. */
export type SettingGroup = Record<string, Setting<unknown>>;

/** The values of a group: settings with a default are always present. */
export type SettingValues<G extends SettingGroup> = {
  [K in keyof G]: G[K] extends Setting<infer T> ? T : never;
};

/** Declares a group with its types kept. */
export function defineSettings<const G extends SettingGroup>(group: G): G {
  return group;
}
