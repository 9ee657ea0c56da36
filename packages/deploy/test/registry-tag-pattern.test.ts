// Tag patterns: anchored regexes with a numeric-aware newest, semver ranges with `v` prefixes, and regexes
// that could backtrack catastrophically refused when compiled.

import { describe, expect, it } from 'vitest';
import { compareTags, compileTagPattern } from '../src/registry/index.js';

describe('tag patterns', () => {
  it('matches a regex against the whole tag and picks the newest by numeric-aware order', () => {
    const pattern = compileTagPattern({ kind: 'regex', value: 'build-\\d+' });
    expect(pattern.matches('build-12')).toBe(true);
    expect(pattern.matches('build-12-debug')).toBe(false);
    expect(pattern.matches('xbuild-12')).toBe(false);
    expect(pattern.newest(['build-9', 'build-10', 'build-2', 'latest'])).toBe('build-10');
    expect(pattern.newest(['latest'])).toBeUndefined();
    const dated = compileTagPattern({ kind: 'regex', value: '\\d{4}\\.\\d{2}\\.\\d{2}-\\d+' });
    expect(dated.newest(['2024.04.30-12', '2024.05.01-3', '2024.05.01-10'])).toBe('2024.05.01-10');
    expect(compareTags('v9', 'v10')).toBeLessThan(0);
    expect(compareTags('v007', 'v7')).not.toBe(0);
    expect(compareTags('a', 'a')).toBe(0);
  });

  it('matches semver ranges, with or without a v prefix, and picks the highest satisfying version', () => {
    const caret = compileTagPattern({ kind: 'semver', value: '^1.2' });
    expect(caret.matches('v1.2.0')).toBe(true);
    expect(caret.matches('1.10.1')).toBe(true);
    expect(caret.matches('v2.0.0')).toBe(false);
    expect(caret.matches('1.3.0-rc.1')).toBe(false);
    expect(caret.matches('latest')).toBe(false);
    expect(caret.newest(['v1.2.0', 'v1.10.1', 'v1.9.9', 'v2.0.0', 'latest'])).toBe('v1.10.1');
    const window = compileTagPattern({ kind: 'semver', value: '>=2 <3' });
    expect(window.newest(['1.9.0', '2.0.0', '2.5.1', '3.0.0'])).toBe('2.5.1');
    expect(window.newest(['v2.1.0', '2.1.0'])).toBe('2.1.0');
    expect(window.newest(['2.1.0', 'v2.1.0'])).toBe('2.1.0');
    expect(() => compileTagPattern({ kind: 'semver', value: 'not a range' })).toThrow(/semver range/);
  });

  it('refuses regexes prone to catastrophic backtracking, and answers quickly on long hostile tags', () => {
    for (const value of [
      '(a+)+',
      '(a*)*b',
      '(\\d+)*',
      '(a|aa)+',
      '(x{1,3}){2,}',
      '((ab)*)+',
      '(a)\\1',
      '(a?)+',
      '(a|b?)*',
      '(?:a+)+$',
    ]) {
      expect(() => compileTagPattern({ kind: 'regex', value }), value).toThrow(
        expect.objectContaining({ code: 'deploy_bad_request' }),
      );
    }
    expect(() => compileTagPattern({ kind: 'regex', value: 'a'.repeat(257) })).toThrow(/1–256/);
    expect(() => compileTagPattern({ kind: 'regex', value: '(' })).toThrow(/not a valid regular expression/);
    // Allowed shapes: quantifiers inside classes or outside groups, a group repeated without inner repetition.
    for (const value of [
      'v[0-9]+\\.[0-9]+',
      '(?:release|hotfix)-\\d+',
      '[+*]+',
      '(ab)+',
      'v\\d+(\\.\\d+)?',
    ]) {
      expect(() => compileTagPattern({ kind: 'regex', value }), value).not.toThrow();
    }
    const pattern = compileTagPattern({ kind: 'regex', value: '[a-z]+\\d*[a-z]+' });
    const hostile = `${'a'.repeat(5000)}!`;
    const started = performance.now();
    expect(pattern.matches(hostile)).toBe(false);
    expect(pattern.matches(`${'a'.repeat(127)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
