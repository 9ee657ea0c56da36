// The CLI flags of the NAS: repeated --export flags, and the embedded agent's --dav-port on `homeport start`.

import { agentSettings } from '@homeport/nas';
import { describe, expect, it } from 'vitest';
import { configFrom } from '../src/cli/flags.js';
import { buildProgram } from '../src/cli/program.js';

/** Parses argv with the real program, capturing the options the named command's action would get. */
async function optionsOf(argv: string[]): Promise<Record<string, unknown>> {
  const program = buildProgram().exitOverride();
  const name = argv[0];
  const command = program.commands.find((item) => item.name() === name);
  if (!command) throw new Error(`no command ${name}`);
  let seen: Record<string, unknown> | undefined;
  command.action((options: Record<string, unknown>) => {
    seen = options;
  });
  await program.parseAsync(argv, { from: 'user' });
  if (!seen) throw new Error('the action did not run');
  return seen;
}

describe('homeport CLI flags (NAS)', () => {
  it('keeps every repeated --export, commas included', async () => {
    const options = await optionsOf([
      'agent',
      '--control-plane',
      'http://127.0.0.1:9',
      '--export',
      '/srv/photos:Photos',
      '--export',
      '/srv/a,b',
    ]);
    expect(configFrom(options).read(agentSettings).exports).toEqual(['/srv/photos:Photos', '/srv/a,b']);
  });

  it('takes --dav-port on homeport start, as the README says', async () => {
    const options = await optionsOf(['start', '--dav-port', '0']);
    expect(configFrom(options).read(agentSettings).davPort).toBe(0);
  });
});
