// The Set-Cookie writer and Cookie reader that replace @fastify/cookie (issue 15: no onSend hook per request).

import { describe, expect, it } from 'vitest';
import { readCookie, serializeCookie } from '../src/cookies.js';

const session = { path: '/', httpOnly: true, sameSite: 'lax', secure: false, maxAge: 3600 } as const;

describe('serializeCookie', () => {
  it('writes the attributes a browser needs, Secure only when asked', () => {
    expect(serializeCookie('homeport_session', 'ab12', session)).toBe(
      'homeport_session=ab12; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(serializeCookie('homeport_oidc', 'x-_Y', { ...session, secure: true, sameSite: 'strict' })).toBe(
      'homeport_oidc=x-_Y; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict',
    );
  });

  it('a removal is expired by age and by date', () => {
    expect(serializeCookie('homeport_session', '', { ...session, maxAge: 0 })).toBe(
      'homeport_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    );
  });

  it('refuses what would split or smuggle attributes', () => {
    expect(() => serializeCookie('a;b', 'v', session)).toThrow(/name/);
    expect(() => serializeCookie('a', 'v; Domain=evil.example', session)).toThrow(/value/);
    expect(() => serializeCookie('a', 'v\r\nX: y', session)).toThrow(/value/);
    expect(() => serializeCookie('a', 'v', { ...session, path: '/; Domain=x' })).toThrow(/path/);
    expect(() => serializeCookie('a', 'v', { ...session, maxAge: -1 })).toThrow(/max-age/);
    expect(() => serializeCookie('a', 'v', { ...session, maxAge: 1.5 })).toThrow(/max-age/);
  });
});

describe('readCookie', () => {
  it('finds the named cookie among others, by exact name', () => {
    const header = 'xhomeport_session=no; homeport_session=yes;other=1';
    expect(readCookie(header, 'homeport_session')).toBe('yes');
    expect(readCookie(header, 'other')).toBe('1');
    expect(readCookie(header, 'missing')).toBeUndefined();
    expect(readCookie(undefined, 'homeport_session')).toBeUndefined();
  });

  it('takes the first of two with the same name, unquotes and decodes', () => {
    expect(readCookie('a=1; a=2', 'a')).toBe('1');
    expect(readCookie('a="quoted"', 'a')).toBe('quoted');
    expect(readCookie('a=x%20y', 'a')).toBe('x y');
    expect(readCookie('a=%E0%A4%A', 'a')).toBe('%E0%A4%A');
    expect(readCookie('novalue; a=', 'a')).toBe('');
  });
});
