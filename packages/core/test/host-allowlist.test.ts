// The Host allowlist (DNS-rebinding defence): which names pass, and that remembering the last allowed value
// never lets a refused one through.

import { describe, expect, it } from 'vitest';
import { createHostAllowlist } from '../src/http/host-allowlist.js';

describe('createHostAllowlist', () => {
  it('allows our names, loopback names and addresses; refuses others, before and after an allowed one', () => {
    const hosts = createHostAllowlist({ publicUrl: 'https://home.example.org', extra: ['*.lan'] });
    const sequence: [string | undefined, boolean][] = [
      ['evil.example', false],
      ['home.example.org', true],
      ['home.example.org', true],
      ['evil.example', false],
      ['HOME.example.org:443', true],
      ['home.example.org.', true],
      ['nas.lan', true],
      ['lan', false],
      ['localhost:8080', true],
      ['127.0.0.1:8080', true],
      ['[::1]:8080', true],
      ['evil.example:443', false],
      [undefined, true],
      ['', true],
      ['home.example.org.evil.example', false],
    ];
    for (const [host, allowed] of sequence) expect(hosts.allows(host), String(host)).toBe(allowed);
  });
});
