// The client-side copies of the server's username and password rules.
import { describe, expect, it } from 'vitest';
import { validatePassword, validateUsername } from '../src/auth/validation';

describe('validateUsername', () => {
  it('accepts 3–64 letters, digits, "_" and "-"', () => {
    for (const name of ['abc', 'Alice_01', 'a-b', 'x'.repeat(64)])
      expect(validateUsername(name)).toBeUndefined();
  });

  it('rejects names that are too short, too long or use other characters', () => {
    for (const name of ['ab', 'x'.repeat(65), 'al ice', 'alice@home', 'élise', '../root']) {
      expect(validateUsername(name)).toBeTypeOf('string');
    }
  });
});

describe('validatePassword', () => {
  it('counts UTF-8 bytes as the server does, not characters', () => {
    // 4 characters, 8 bytes: long enough.
    expect(validatePassword('éééé')).toBeUndefined();
    // 7 bytes.
    expect(validatePassword('abcdefg')).toBeTypeOf('string');
    // 512 characters, 1024 bytes: the longest allowed; one more byte is too long.
    expect(validatePassword('é'.repeat(512))).toBeUndefined();
    expect(validatePassword(`${'é'.repeat(512)}a`)).toBeTypeOf('string');
  });
});
