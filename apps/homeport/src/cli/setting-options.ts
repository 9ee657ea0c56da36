// Commander options generated from setting descriptors: a flag's name, doc, default and environment variable
// are declared once, on the setting, and the help text reads them from there.

import type { Setting } from '@homeport/core';
import { Option } from 'commander';

export interface FlagSpec {
  setting: Setting<unknown>;
  /** Placeholder shown in the help (`--listen <host:port>`); default: the flag's own name. */
  argument?: string;
  /**
   * Each use adds one value and values are never split on commas (a path may contain one). Otherwise a list
   * flag takes one comma-separated value, as its environment variable does.
   */
  repeatable?: boolean;
}

/** "(default 8080; env HOMEPORT_PORT)": only the default is shown here, never set, so env and file still apply. */
function origin(setting: Setting<unknown>): string {
  const parts: string[] = [];
  // A switch that is off unless given says nothing by showing "default false".
  if (setting.defaultValue !== undefined && setting.defaultValue !== false) {
    // defaultText quotes strings for the Markdown table (`"127.0.0.1"`); help reads better without quotes.
    parts.push(`default ${setting.defaultText.replace(/^"(.*)"$/, '$1')}`);
  }
  parts.push(`env ${setting.env}`);
  return `(${parts.join('; ')})`;
}

/** The commander option of a setting that declares a flag. */
export function settingOption({ setting, argument, repeatable }: FlagSpec): Option {
  if (setting.flag === undefined) throw new Error(`setting ${setting.key} has no flag`);
  const boolean = typeof setting.defaultValue === 'boolean';
  const doc = setting.doc.replace(/\.$/, '');
  const flags = boolean ? `--${setting.flag}` : `--${setting.flag} <${argument ?? setting.flag}>`;
  const option = new Option(
    flags,
    `${doc}${repeatable ? '; repeat the flag for more' : ''} ${origin(setting)}`,
  );
  // Commander would set false for an absent boolean flag if a default were given: none is, so an absent flag
  // stays undefined and the environment or the config file decides.
  if (repeatable) {
    option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  }
  return option;
}
