// Settings → Bus's identity form and the Create room form: the checks people see before anything is sent.
import { describe, expect, it } from 'vitest';
import { validateRoomName } from '../src/pages/rooms/create-room-form';
import { keyFingerprint } from '../src/pages/rooms/room-format';
import { checkIdentity, EMPTY_IDENTITY, normaliseKey } from '../src/pages/settings/bus/identity-form';

const sign = 'a'.repeat(64);
const kex = 'B'.repeat(64);

describe('identity form', () => {
  it('accepts two 64-hex keys (pasted with spaces or line breaks) and a handle', () => {
    expect(
      checkIdentity({
        ...EMPTY_IDENTITY,
        signPub: `${sign.slice(0, 32)}\n${sign.slice(32)} `,
        kexPub: kex,
        handle: 'laptop',
      }),
    ).toEqual({});
    expect(normaliseKey(' AB\ncd ')).toBe('abcd');
  });

  it('says what is wrong with each field', () => {
    const errors = checkIdentity({
      ...EMPTY_IDENTITY,
      signPub: 'abc',
      kexPub: 'z'.repeat(64),
      handle: 'a\u0007',
    });
    expect(errors.signPub).toMatch(/64 hexadecimal characters.*3 characters/);
    expect(errors.kexPub).toMatch(/with others among them/);
    expect(errors.handle).toMatch(/control characters/);
    expect(
      checkIdentity({ ...EMPTY_IDENTITY, signPub: sign, kexPub: sign.toUpperCase(), handle: 'x' }).kexPub,
    ).toMatch(/different key/);
    expect(checkIdentity(EMPTY_IDENTITY).signPub).toMatch(/homeport bus identity new/);
  });
});

describe('room name and key fingerprint', () => {
  it('checks the name as the server does', () => {
    expect(validateRoomName('  ')).toBe('Give the room a name');
    expect(validateRoomName('x'.repeat(101))).toMatch(/At most 100/);
    expect(validateRoomName('two\nlines')).toMatch(/line breaks/);
    expect(validateRoomName('ops')).toBeUndefined();
  });

  it('shows the first 16 hex digits in groups of four', () => {
    expect(keyFingerprint('3F2A9C01D4E5F6071234')).toBe('3f2a 9c01 d4e5 f607');
  });
});
