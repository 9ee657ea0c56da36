// Router state handed to the login page is checked before it decides where to send the user.
import { describe, expect, it } from 'vitest';
import { readLoginLocationState } from '../src/auth/login-location-state';

describe('readLoginLocationState', () => {
  it('keeps an in-app path and a known reason', () => {
    expect(readLoginLocationState({ from: '/settings/tokens?x=1#y', reason: 'expired' })).toEqual({
      from: '/settings/tokens?x=1#y',
      reason: 'expired',
    });
  });

  it('drops destinations outside the app so login is not an open redirect', () => {
    for (const from of ['https://evil.example/', '//evil.example/', 'javascript:alert(1)', 42]) {
      expect(readLoginLocationState({ from })).toEqual({});
    }
  });

  it('ignores state that is not an object or has unknown reasons', () => {
    expect(readLoginLocationState(null)).toEqual({});
    expect(readLoginLocationState('x')).toEqual({});
    expect(readLoginLocationState({ reason: 'hacked' })).toEqual({});
  });
});
