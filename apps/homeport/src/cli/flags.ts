// Turns commander's parsed options back into the flag names the settings declare.

import { Config, type SettingGroup } from '@homeport/core';
import { ALL_SETTINGS } from '../compose.js';

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

export function flagsFrom(
  options: Record<string, unknown>,
  groups: readonly SettingGroup[],
): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const group of groups) {
    for (const setting of Object.values(group)) {
      if (setting.flag === undefined) continue;
      const value = options[camel(setting.flag)];
      if (value !== undefined) flags[setting.flag] = value;
    }
  }
  return flags;
}

/** The configuration of a CLI command: its flags, the environment, and the config file, validated in full. */
export function configFrom(options: Record<string, unknown>): Config {
  const config = new Config({
    flags: flagsFrom(options, ALL_SETTINGS),
    env: process.env,
    configFile: typeof options.config === 'string' ? options.config : process.env.HOMEPORT_CONFIG,
  });
  config.validate(ALL_SETTINGS);
  return config;
}
