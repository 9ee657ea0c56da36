// Configuration: precedence, aliases, one message per problem, unknown keys in the file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  boolSetting,
  Config,
  ConfigError,
  coreSettings,
  defineSettings,
  durationSetting,
  intSetting,
  parseDuration,
  stringSetting,
} from '../src/index.js';

// Every temp folder this file makes, removed after its tests.
const made: string[] = [];
const madeTemp = (prefix: string): string => {
  const path = mkdtempSync(prefix);
  made.push(path);
  return path;
};
afterAll(() => {
  for (const path of made) rmSync(path, { recursive: true, force: true });
});

const settings = defineSettings({
  port: intSetting({ key: 'port', env: 'T_PORT', flag: 'port', default: 8080, min: 1, max: 65535, doc: '' }),
  ttl: durationSetting({ key: 'session.ttl', env: 'T_TTL', aliases: ['OLD_TTL'], default: '720h', doc: '' }),
  open: boolSetting({ key: 'open', env: 'T_OPEN', default: false, doc: '' }),
  name: stringSetting({ key: 'name', env: 'T_NAME', doc: '' }),
});

function yamlFile(text: string): string {
  const file = join(madeTemp(join(tmpdir(), 'homeport-config-')), 'homeport.yaml');
  writeFileSync(file, text);
  return file;
}

describe('Config', () => {
  it('takes flags over env over file over defaults', () => {
    const file = yamlFile('port: 7000\nsession:\n  ttl: 1h\nname: from-file\n');
    const config = new Config({
      flags: { port: '9000' },
      env: { T_PORT: '8000', T_TTL: '2h' },
      configFile: file,
    });
    expect(config.read(settings)).toEqual({ port: 9000, ttl: 7_200_000, open: false, name: 'from-file' });
    expect(config.sourceOf(settings.port)).toBe('flag');
    expect(config.sourceOf(settings.ttl)).toBe('env');
    expect(config.sourceOf(settings.name)).toBe('file');
    expect(config.sourceOf(settings.open)).toBe('default');
  });

  it('accepts alias environment names', () => {
    expect(new Config({ env: { OLD_TTL: '90m' } }).read(settings).ttl).toBe(90 * 60_000);
  });

  it('reports every problem at once, naming where each value came from', () => {
    const config = new Config({ flags: { port: '70000' }, env: { T_TTL: 'soon', T_OPEN: 'maybe' } });
    try {
      config.read(settings);
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/^--port: must be at most 65535/);
      expect(problems[1]).toMatch(/^T_TTL: must be a duration like 30s, 10m or 720h, got "soon"/);
      expect(problems[2]).toMatch(/^T_OPEN: must be true or false/);
    }
  });

  it('flags unknown keys in the config file', () => {
    const config = new Config({ configFile: yamlFile('prot: 8080\nsession:\n  ttl: 1h\n  tll: 2h\n') });
    expect(() => config.validate([settings])).toThrow(/prot \(in .*\): unknown setting[\s\S]*session\.tll/);
  });

  it('says clearly when the file is missing or not YAML', () => {
    expect(() => new Config({ configFile: '/nonexistent/homeport.yaml' })).toThrow(/cannot be read/);
    expect(() => new Config({ configFile: yamlFile('port: [1, 2\n') })).toThrow(/not valid YAML/);
    expect(() => new Config({ configFile: yamlFile('- 1\n- 2\n') })).toThrow(/must be a YAML mapping/);
  });

  it('reads the core defaults', () => {
    const core = new Config({ env: {} }).read(coreSettings);
    expect(core).toMatchObject({
      port: 8080,
      bind: '127.0.0.1',
      dataDir: './homeport-data',
      bodyLimit: 1_048_576,
      corsOrigins: [],
    });
  });

  it('reads BETTERNAS_CORS_ORIGIN as a list without trailing slashes', () => {
    const core = new Config({ env: { BETTERNAS_CORS_ORIGIN: 'https://a.example/, https://b.example' } }).read(
      coreSettings,
    );
    expect(core.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['30', 30_000],
    ['2d', 172_800_000],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'h', '10x', '1h 30m', '-5s'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
