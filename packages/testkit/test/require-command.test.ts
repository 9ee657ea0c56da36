// requireCommand: finds commands on PATH, and fails with the apt-get line when one is missing.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, requireCommand, TestkitError, tempDir } from '../src/index.js';

afterAll(() => removeTempDirs());

describe('requireCommand', () => {
  it('returns the absolute path of a command on PATH', () => {
    const folder = tempDir('testkit-bin-');
    const tool = join(folder, 'homeport-fake-tool');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o755);
    expect(requireCommand('homeport-fake-tool', 'fake-tool', `/nonexistent:${folder}`)).toBe(tool);
  });

  it('accepts an absolute path that is executable', () => {
    expect(requireCommand(process.execPath, 'nodejs')).toBe(process.execPath);
  });

  it('throws the install command when the command is missing', () => {
    let thrown: unknown;
    try {
      requireCommand('homeport-no-such-command', 'homeport-no-such-package');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TestkitError);
    // Checked just above.
    const error = thrown as TestkitError;
    expect(error.code).toBe('missing_dependency');
    expect(error.message).toContain('homeport-no-such-command');
    expect(error.message).toContain('install it: apt-get install -y homeport-no-such-package');
  });

  it('does not accept a file that is not executable', () => {
    const file = join(tempDir('testkit-noexec-'), 'chromium');
    writeFileSync(file, 'not a program');
    expect(() => requireCommand(file, 'chromium')).toThrow('install it: apt-get install -y chromium');
  });
});
