// Turns commander's parsed options back into the flag names the settings declare.

import type { SettingGroup } from '@homeport/core';

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
