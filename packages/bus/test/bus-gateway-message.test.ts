// What a gateway message is on the wire: text as it is (what the CLI and SDK send), an attachment in a marked
// envelope, and what a member's payload cannot make the browser do (odd names, forged references).

import { describe, expect, it } from 'vitest';
import { checkAttachment, decodeMessage, encodeMessage, safeFileName } from '../src/gateway/message.js';

const ref = {
  id: `${'c'.repeat(64)}.3.01J0000000000000000000000A.${'E'.repeat(43)}`,
  name: 'notes.txt',
  size: 12,
  type: 'text/plain',
};

describe('gateway messages', () => {
  it('sends text alone as its bytes and an attachment in the envelope, and reads both back', () => {
    expect(new TextDecoder().decode(encodeMessage('deploy at 5', undefined))).toBe('deploy at 5');
    expect(decodeMessage(encodeMessage('deploy at 5', undefined))).toEqual({
      body: 'deploy at 5',
      attachment: undefined,
    });
    expect(decodeMessage(encodeMessage('see file', ref))).toEqual({ body: 'see file', attachment: ref });
  });

  it('shows text that merely looks like an envelope as the text it is', () => {
    for (const text of [
      '{"t":"homeport.message/v1"',
      '{"t":"homeport.message/v1","body":3}',
      '{"body":"x","attachment":{}}',
    ])
      expect(decodeMessage(new TextEncoder().encode(text))).toEqual({ body: text, attachment: undefined });
  });

  it('shows a binary payload as its size, never as mangled text', () => {
    expect(decodeMessage(Uint8Array.from([0xff, 0xfe, 0x00]))).toEqual({
      body: '[3 bytes of binary data]',
      attachment: undefined,
    });
  });

  it('drops an attachment reference the gateway could not have made', () => {
    const bad = [
      { ...ref, id: '../../etc/passwd' },
      { ...ref, id: `${ref.id}/x` },
      { ...ref, id: ref.id.toUpperCase() },
      { ...ref, size: -1 },
      { ...ref, size: 1.5 },
      { ...ref, name: '' },
      { ...ref, name: 'x'.repeat(256) },
      'a string',
      null,
    ];
    for (const value of bad) expect(checkAttachment(value)).toBeUndefined();
    // A type that is not a media type is served as bytes anyway; it is only not repeated.
    expect(checkAttachment({ ...ref, type: 'text/html\r\nX-Evil: 1' })?.type).toBe(
      'application/octet-stream',
    );
  });

  it('makes file names safe to show and to save: no path, no controls, no bidi overrides', () => {
    expect(safeFileName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(safeFileName('a\\b')).toBe('a_b');
    expect(safeFileName('invoice\u202Efdp.exe')).toBe('invoice_fdp.exe');
    expect(safeFileName('bell\u0007\nname')).toBe('bell__name');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('   ')).toBe('file');
    expect(safeFileName('résumé.pdf')).toBe('résumé.pdf');
    expect(safeFileName('x'.repeat(300))).toHaveLength(255);
  });
});
