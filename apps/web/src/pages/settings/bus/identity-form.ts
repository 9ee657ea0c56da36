// The identity forms of Settings → Bus (add to the allowlist, register my device): checks in the server's
// terms, with messages that say where the values come from.
import { ApiError } from '../../../api/api-error';
import type { BusRole } from '../../rooms/api/bus-types';

export interface IdentityForm {
  signPub: string;
  kexPub: string;
  handle: string;
  role: BusRole;
}

export type IdentityErrors = Partial<Record<'signPub' | 'kexPub' | 'handle' | 'form', string>>;

export const EMPTY_IDENTITY: IdentityForm = { signPub: '', kexPub: '', handle: '', role: 'member' };

const KEY = /^[0-9a-fA-F]{64}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;
export const MAX_HANDLE = 64;

/** A pasted key without spaces or line breaks, lower case (how the server stores it). */
export const normaliseKey = (value: string) => value.replace(/\s+/g, '').toLowerCase();

function keyProblem(value: string, name: string): string | undefined {
  const key = normaliseKey(value);
  if (key === '') return `Paste the ${name} (\`homeport bus identity new\` prints it)`;
  if (!KEY.test(key))
    return `The ${name} is 64 hexadecimal characters (0–9, a–f); this is ${key.length} character${key.length === 1 ? '' : 's'}${/[^0-9a-f]/.test(key) ? ' with others among them' : ''}`;
  return undefined;
}

/** Every problem with the form; empty when it can be sent. */
export function checkIdentity(form: IdentityForm): IdentityErrors {
  const errors: IdentityErrors = {};
  const sign = keyProblem(form.signPub, 'signing key (sign-pub)');
  const kex = keyProblem(form.kexPub, 'key-agreement key (kex-pub)');
  if (sign) errors.signPub = sign;
  if (kex) errors.kexPub = kex;
  if (!sign && !kex && normaliseKey(form.signPub) === normaliseKey(form.kexPub))
    errors.kexPub = 'The key-agreement key is a different key from the signing key';
  const handle = form.handle.trim();
  if (handle === '') errors.handle = 'Give it a name people will see in rooms, e.g. “alice-laptop”';
  else if (handle.length > MAX_HANDLE) errors.handle = `At most ${MAX_HANDLE} characters`;
  else if (CONTROL.test(handle)) errors.handle = 'No line breaks or control characters';
  return errors;
}

export const hasErrors = (errors: IdentityErrors) => Object.keys(errors).length > 0;

/** The server's refusal, put on the field it is about when it is about one. */
export function identityErrorsFrom(error: unknown): IdentityErrors {
  if (error instanceof ApiError && error.status === 409)
    return { signPub: 'This signing key is on the allowlist already (revoked keys stay listed)' };
  return { form: error instanceof Error ? error.message : 'Something went wrong' };
}
