// Export specs: every problem reported at once as configuration errors (one line each, exit 2), not a stack.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { parseExportSpecs } from '../src/agent/export-specs.js';

describe('export specs', () => {
  it('reports a missing folder, a file and a folder listed twice together, naming the setting', () => {
    const root = tempDir('homeport-specs-');
    mkdirSync(join(root, 'photos'));
    writeFileSync(join(root, 'file.txt'), 'x');
    let thrown: unknown;
    try {
      parseExportSpecs([
        join(root, 'photos'),
        join(root, 'missing'),
        join(root, 'file.txt'),
        `${join(root, 'photos')}:Again`,
      ]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      `--export (HOMEPORT_EXPORTS): ${join(root, 'missing')} does not exist`,
      `--export (HOMEPORT_EXPORTS): ${join(root, 'file.txt')} is not a folder`,
      `--export (HOMEPORT_EXPORTS): ${join(root, 'photos')} is listed twice`,
    ]);
  });

  it('labels a folder by its name unless the spec gives one', () => {
    const root = tempDir('homeport-specs-');
    mkdirSync(join(root, 'Family Photos'));
    mkdirSync(join(root, 'b'));
    const specs = parseExportSpecs([join(root, 'Family Photos'), `${join(root, 'b')}:Backups`]);
    expect(specs.map((item) => [item.label, item.mountPath])).toEqual([
      ['Family Photos', '/dav/family-photos/'],
      ['Backups', '/dav/backups/'],
    ]);
  });
});
