// Reads settings from flags > environment > YAML config file > defaults, and reports every problem at once.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { HomeportError } from '../errors.js';
import { type Setting, type SettingGroup, SettingProblem, type SettingValues } from './settings.js';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

export interface ConfigSourcesOptions {
  /** Parsed CLI flags by flag name (`{ port: '8080', 'insecure-public': true }`). */
  flags?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** Path of a YAML config file; a missing or malformed file is a problem, not a silent default. */
  configFile?: string | undefined;
}

/** One message per bad setting, printed by the CLI before it exits non-zero. */
export class ConfigError extends HomeportError<'invalid_config'> {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('invalid_config', 'bad_request', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/**
 * The sources of configuration for one process. Packages read their own group of settings from it:
 * `config.read(accountsSettings)` returns typed values and throws ConfigError listing every problem.
 */
export class Config {
  private readonly flags: Record<string, unknown>;
  private readonly env: Record<string, string | undefined>;
  private readonly file: Record<string, unknown>;
  private readonly cache = new Map<SettingGroup, unknown>();
  private readonly origins = new Map<Setting<unknown>, ConfigSource>();
  readonly configFile: string | undefined;

  constructor(options: ConfigSourcesOptions = {}) {
    this.flags = options.flags ?? {};
    this.env = options.env ?? {};
    this.configFile = options.configFile;
    this.file = options.configFile ? readConfigFile(options.configFile) : {};
  }

  /** Reads a whole group; cached, so every caller sees the same values. */
  read<G extends SettingGroup>(group: G): SettingValues<G> {
    const cached = this.cache.get(group);
    if (cached) return cached as SettingValues<G>; // cache is keyed by the group that produced it
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    for (const [name, setting] of Object.entries(group)) {
      try {
        values[name] = this.readOne(setting);
      } catch (error) {
        if (!(error instanceof SettingProblem)) throw error;
        problems.push(`${this.describe(setting)} ${error.message}`);
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    this.cache.set(group, values);
    return values as SettingValues<G>; // every key of the group was filled above
  }

  /** Validates several groups together so the operator sees all problems in one go. */
  validate(groups: readonly SettingGroup[]): void {
    const problems: string[] = [];
    for (const group of groups) {
      try {
        this.read(group);
      } catch (error) {
        if (error instanceof ConfigError) problems.push(...error.problems);
        else throw error;
      }
    }
    problems.push(...this.unknownFileKeys(groups));
    if (problems.length > 0) throw new ConfigError(problems);
  }

  /** A typo in the config file would otherwise be ignored without a word. */
  private unknownFileKeys(groups: readonly SettingGroup[]): string[] {
    const known = new Set(groups.flatMap((group) => Object.values(group).map((setting) => setting.key)));
    const prefixes = new Set(
      [...known].flatMap((key) =>
        key
          .split('.')
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
      ),
    );
    const problems: string[] = [];
    const walk = (node: Record<string, unknown>, path: string): void => {
      for (const [name, value] of Object.entries(node)) {
        const key = path ? `${path}.${name}` : name;
        if (known.has(key)) continue;
        if (prefixes.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
          walk(value as Record<string, unknown>, key); // a nested mapping of known settings
          continue;
        }
        problems.push(`${key} (in ${this.configFile}): unknown setting`);
      }
    };
    walk(this.file, '');
    return problems;
  }

  /** Where a setting's value came from (for `homeport config show`). */
  sourceOf(setting: Setting<unknown>): ConfigSource {
    return this.origins.get(setting) ?? 'default';
  }

  private readOne(setting: Setting<unknown>): unknown {
    if (setting.flag !== undefined && this.flags[setting.flag] !== undefined) {
      this.origins.set(setting, 'flag');
      return setting.parse(this.flags[setting.flag]);
    }
    for (const name of [setting.env, ...(setting.aliases ?? [])]) {
      const raw = this.env[name];
      if (raw !== undefined && raw !== '') {
        this.origins.set(setting, 'env');
        return setting.parse(raw);
      }
    }
    const fromFile = lookup(this.file, setting.key);
    if (fromFile !== undefined && fromFile !== null) {
      this.origins.set(setting, 'file');
      return setting.parse(fromFile);
    }
    this.origins.set(setting, 'default');
    return setting.defaultValue;
  }

  private describe(setting: Setting<unknown>): string {
    const source = this.origins.get(setting);
    if (source === 'flag') return `--${setting.flag}:`;
    if (source === 'file') return `${setting.key} (in ${this.configFile}):`;
    const used = [setting.env, ...(setting.aliases ?? [])].find((name) => this.env[name]);
    return `${used ?? setting.env}:`;
  }
}

function lookup(tree: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = tree;
  for (const part of dotted.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part]; // plain YAML mapping
  }
  return node;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${path} cannot be read: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`config file ${path} is not valid YAML: ${(error as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError([`config file ${path} must be a YAML mapping of settings`]);
  return parsed as Record<string, unknown>; // checked to be a mapping above
}

/** Markdown rows for the configuration reference in the README, generated from the descriptors. */
export function describeSettings(groups: readonly SettingGroup[]): string {
  const rows = ['| env | flag | config file key | default | what it does |', '|---|---|---|---|---|'];
  for (const group of groups) {
    for (const setting of Object.values(group)) {
      const env = [setting.env, ...(setting.aliases ?? [])].map((name) => `\`${name}\``).join('<br>');
      const flag = setting.flag ? `\`--${setting.flag}\`` : '';
      rows.push(`| ${env} | ${flag} | \`${setting.key}\` | ${setting.defaultText} | ${setting.doc} |`);
    }
  }
  return rows.join('\n');
}
