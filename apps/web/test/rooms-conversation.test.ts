// What a refusal from the gateway means for the open room: at the first load (never in) or later (we were in).
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { phaseOfRefusal } from '../src/pages/rooms/use-conversation';

const refusal = (status: number, code: string) => new ApiError({ status, code, message: code });

describe('phaseOfRefusal', () => {
  it('tells a room never entered from one we were removed from', () => {
    expect(phaseOfRefusal(refusal(403, 'bus_forbidden'), false)).toBe('not_member');
    expect(phaseOfRefusal(refusal(403, 'bus_forbidden'), true)).toBe('removed');
    expect(phaseOfRefusal(refusal(404, 'bus_not_found'), true)).toBe('gone');
  });

  it('names a revoked gateway identity as such, not as a removal', () => {
    expect(phaseOfRefusal(refusal(403, 'gateway_identity_revoked'), true)).toBe('revoked');
    expect(phaseOfRefusal(refusal(403, 'gateway_identity_revoked'), false)).toBe('revoked');
  });

  it('says the bus is off when its routes are not there, and fails on anything else', () => {
    expect(phaseOfRefusal(refusal(404, 'not_found'), false)).toBe('bus_off');
    expect(phaseOfRefusal(refusal(503, 'bus_unavailable'), true)).toBe('bus_off');
    expect(phaseOfRefusal(refusal(500, 'internal_error'), false)).toBe('failed');
    expect(phaseOfRefusal(new Error('boom'), false)).toBe('failed');
  });
});
