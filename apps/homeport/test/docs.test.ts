// Keeps the README true: its configuration table is the generated one, and its example config file is valid.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, describeSettings } from '@homeport/core';
import { describe, expect, it } from 'vitest';
import { ALL_SETTINGS } from '../src/compose.js';
import { newDataDir } from './support/app.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('holds the configuration reference exactly as `homeport config reference` prints it', () => {
    expect(readme).toContain(describeSettings(ALL_SETTINGS));
  });

  it('shows an example config file that validates', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const file = join(newDataDir(), 'homeport.yaml');
    writeFileSync(file, yaml ?? '');
    const config = new Config({ configFile: file });
    expect(() => config.validate(ALL_SETTINGS)).not.toThrow();
  });

  it('states the run and test lines', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
