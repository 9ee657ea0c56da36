// Storage page wording: disk sizes, heartbeat ages, mount errors and the "add a node" command.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { describeMountError } from '../src/pages/storage/describe-mount-error';
import { agentCommand } from '../src/pages/storage/mount-snippets';
import { formatBytes, formatLastSeen, summarizeSpace } from '../src/pages/storage/storage-format';

describe('formatBytes', () => {
  it('uses decimal units as disks are sold', () => {
    expect(formatBytes(4_000_787_030_016)).toBe('4.0 TB');
    expect(formatBytes(512_110_190_592)).toBe('512 GB');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(999)).toBe('999 bytes');
  });

  it('says when the size is unknown', () => {
    expect(formatBytes(null)).toBe('Unknown');
    expect(formatBytes(null, 'size unknown')).toBe('size unknown');
    expect(formatBytes(-1)).toBe('Unknown');
  });
});

describe('formatLastSeen', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('counts seconds under a minute, so a node going quiet does not read "now"', () => {
    expect(formatLastSeen('2026-03-01T11:59:58Z', 'Never', now)).toBe('just now');
    expect(formatLastSeen('2026-03-01T11:59:35Z', 'Never', now)).toMatch(/25 seconds ago/);
    expect(formatLastSeen('2026-03-01T11:57:00Z', 'Never', now)).toMatch(/3 minutes ago/);
  });

  it('says never for a node that never sent a heartbeat', () => {
    expect(formatLastSeen(null, 'Never', now)).toBe('Never');
  });
});

describe('describeMountError', () => {
  it('turns node_offline into the sentence the Mount dialog shows', () => {
    const error = new ApiError({
      status: 503,
      code: 'node_offline',
      message: 'The node holding…',
      retryAfter: 30,
    });
    expect(describeMountError(error)).toBe('The node is offline; try again when it is back.');
  });

  it('explains a missing grant, and passes anything else through', () => {
    expect(describeMountError(new ApiError({ status: 403, code: 'not_granted', message: 'x' }))).toMatch(
      /not shared with you/,
    );
    expect(describeMountError(new ApiError({ status: 500, code: 'internal', message: 'Boom' }))).toBe('Boom');
  });
});

describe('agentCommand', () => {
  it('names this server as the control plane, quoted for the shell', () => {
    const command = agentCommand('https://home.example.com');
    expect(command).toContain(`homeport agent --control-plane 'https://home.example.com'`);
    expect(command).toMatch(/^HOMEPORT_NODE_BOOTSTRAP_TOKEN=/);
    expect(command).toContain('--export /srv/photos:Photos');
  });
});

describe('summarizeSpace', () => {
  it('says how much is free of how much, with the share in use', () => {
    expect(summarizeSpace({ capacityBytes: 2e12, freeBytes: 5e11, usedBytes: 1.4e12 })).toEqual({
      text: '500 GB free of 2.0 TB',
      usedPercent: 70,
    });
  });

  it('falls back to the disk size from agents that report no free space, and to unknown', () => {
    expect(summarizeSpace({ capacityBytes: 2e12, freeBytes: null, usedBytes: null })).toEqual({
      text: '2.0 TB disk',
      usedPercent: undefined,
    });
    expect(summarizeSpace({ capacityBytes: 0, freeBytes: 10, usedBytes: 0 }).text).toBe('size unknown');
    expect(summarizeSpace({ capacityBytes: null, freeBytes: null, usedBytes: null }).text).toBe(
      'size unknown',
    );
  });
});
