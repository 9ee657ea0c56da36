// The commander options are generated from the setting descriptors: every descriptor with a flag is an option
// of some command, with its doc, default and environment variable in the help, and no value of its own.

import type { Setting } from '@homeport/core';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { flagsFrom } from '../src/cli/flags.js';
import { buildProgram } from '../src/cli/program.js';
import { ALL_SETTINGS } from '../src/compose.js';

const program = buildProgram();
const command = (name: string): Command => {
  const found = program.commands.find((item) => item.name() === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
};
const flagged: Setting<unknown>[] = ALL_SETTINGS.flatMap((group) => Object.values(group)).filter(
  (setting) => setting.flag !== undefined,
);
const optionsOf = (name: string): readonly Option[] => command(name).options;

describe('CLI flags from setting descriptors', () => {
  it('offers every flag a descriptor declares, on start or agent, documented from the descriptor', () => {
    for (const setting of flagged) {
      const options = [...optionsOf('start'), ...optionsOf('agent')].filter(
        (option) => option.long === `--${setting.flag}`,
      );
      expect(options.length, `--${setting.flag}`).toBeGreaterThan(0);
      for (const option of options) {
        expect(option.description).toContain(setting.doc.replace(/\.$/, ''));
        expect(option.description).toContain(`env ${setting.env}`);
        if (setting.defaultValue !== undefined && setting.defaultValue !== false) {
          expect(option.description).toContain(`default ${setting.defaultText.replace(/^"(.*)"$/, '$1')}`);
        }
        // A default set on the option would shadow the environment and the config file.
        expect(option.defaultValue, `--${setting.flag}`).toBeUndefined();
      }
    }
  });

  it('shows the defaults in `homeport start --help`, examples kept', () => {
    // Commander wraps long descriptions: compare with the line breaks folded.
    const help = command('start').helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--port <port>');
    expect(help).toContain('default 8080; env HOMEPORT_PORT');
    expect(help).toContain('default 8090; env HOMEPORT_DAV_PORT');
    expect(help).toContain('default ./homeport-data; env HOMEPORT_DATA_DIR');
    let text = '';
    command('start')
      .configureOutput({ writeOut: (chunk) => (text += chunk) })
      .outputHelp();
    expect(text).toContain('homeport start --config /etc/homeport.yaml');
  });

  it('leaves an absent flag out, so the environment or the config file decides', async () => {
    const seen: Record<string, unknown>[] = [];
    const parsed = buildProgram().exitOverride();
    const start = parsed.commands.find((item) => item.name() === 'start');
    start?.action((options: Record<string, unknown>) => {
      seen.push(options);
    });
    await parsed.parseAsync(['start', '--port', '9000', '--insecure-public'], { from: 'user' });
    const flags = flagsFrom(seen[0] ?? {}, ALL_SETTINGS);
    expect(flags).toEqual({ port: '9000', 'insecure-public': true });
  });
});
