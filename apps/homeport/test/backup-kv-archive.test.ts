// The checks a KV restore makes of an archive before it connects to NATS: the manifest's bucket list (names
// that could leave the staging folder are refused), its format and secret key check, and every bucket file's
// lines and count. A damaged file stops the restore with nothing written.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KV_FORMAT } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { checkKvManifest, type KvSide, readKvArchive, secretKeyCheck } from '../src/backup/kv.js';

const side = { secretKey: 'the-secret-key-0123456789abcdef' } as KvSide;
const manifest = (buckets: unknown, overrides: Record<string, unknown> = {}) =>
  ({ format: KV_FORMAT, secretKeyCheck: secretKeyCheck(side.secretKey), buckets, ...overrides }) as never;

function staging(files: Record<string, string>): string {
  const dir = tempDir('homeport-kv-archive-');
  mkdirSync(join(dir, 'kv'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'kv', name), text);
  return dir;
}

const line = (key: string, value: string) =>
  `${JSON.stringify({ key, value: Buffer.from(value).toString('base64') })}\n`;

describe('a KV archive, checked before a restore writes', () => {
  it('reads every bucket file back into its entries, bytes as stored', async () => {
    const dir = staging({
      'accounts_records.jsonl': line('user.a', '{"id":"a"}') + line('user.b', '\u0000\u00ff'),
    });
    const read = await readKvArchive(
      checkKvManifest(manifest([{ bucket: 'accounts_records', entries: 2 }]), side),
      dir,
    );
    const entries = read.get('accounts_records') ?? [];
    expect(entries.map((entry) => entry.key)).toEqual(['user.a', 'user.b']);
    expect(Buffer.from(entries[0]?.value ?? []).toString()).toBe('{"id":"a"}');
    expect(Buffer.from(entries[1]?.value ?? [])).toEqual(Buffer.from('\u0000\u00ff'));
  });

  it('refuses bucket names that could name a file outside kv/, and a manifest without buckets', () => {
    for (const bucket of ['../secrets', 'a/b', '', 'core meta', 'x.jsonl'])
      expect(() => checkKvManifest(manifest([{ bucket, entries: 0 }]), side)).toThrow(
        expect.objectContaining({ code: 'archive_invalid' }),
      );
    expect(() => checkKvManifest(undefined, side)).toThrow(
      expect.objectContaining({ code: 'archive_invalid' }),
    );
    expect(() => checkKvManifest(manifest('all'), side)).toThrow(
      expect.objectContaining({ code: 'archive_invalid' }),
    );
  });

  it('refuses a newer format and another secret key', () => {
    expect(() => checkKvManifest(manifest([], { format: KV_FORMAT + 1 }), side)).toThrow(
      expect.objectContaining({ code: 'archive_newer' }),
    );
    expect(() =>
      checkKvManifest(manifest([], { secretKeyCheck: secretKeyCheck('another key') }), side),
    ).toThrow(expect.objectContaining({ code: 'secret_key_mismatch' }));
  });

  it('refuses a line that is not an entry, and a count other than the manifest’s', async () => {
    const bad = staging({ 'nas_records.jsonl': `${line('a', 'x')}{"key":"b"}\n` });
    await expect(
      readKvArchive(checkKvManifest(manifest([{ bucket: 'nas_records', entries: 2 }]), side), bad),
    ).rejects.toMatchObject({
      code: 'archive_invalid',
      message: 'kv/nas_records.jsonl line 2 is not a {"key","value"} entry',
    });
    const short = staging({ 'nas_records.jsonl': line('a', 'x') });
    await expect(
      readKvArchive(checkKvManifest(manifest([{ bucket: 'nas_records', entries: 2 }]), side), short),
    ).rejects.toMatchObject({ code: 'archive_damaged' });
  });
});
