// Mount instructions: the URLs and commands shown in the Mount dialog, and the rclone snippets run
// through the real rclone (which must be installed: apt-get install -y rclone).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  davfsMountCommand,
  gioDavUrl,
  gioMountCommand,
  guessPlatform,
  isLoopbackUrl,
  isMobileDevice,
  OBSCURED_PASSWORD_PLACEHOLDER,
  PASSWORD_MASK,
  rcloneConfSection,
  rcloneCreateCommand,
  rcloneRemoteName,
  rcloneUnmountCommand,
  rcloneUsage,
  shellQuote,
  slugify,
} from '../src/pages/storage/mount-snippets';

const target = {
  url: 'http://192.168.1.20:8090/dav/family-photos/',
  username: 'mount-AbCdEf123',
  // Long and base64-like, as the server's signed credentials are: the case rclone can misjudge.
  password: 'eyJ2IjoxLCJub2RlSWQiOiJub2RlXzEifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU',
  label: 'Family Photos',
  readonly: false,
};

const sh = (script: string, env: Record<string, string> = {}) =>
  execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('gioDavUrl', () => {
  it('turns http into dav:// and https into davs://, keeping host, port and path', () => {
    expect(gioDavUrl('http://nas.lan:8090/dav/a/')).toBe('dav://nas.lan:8090/dav/a/');
    expect(gioDavUrl('https://nas.example.com/dav/a/')).toBe('davs://nas.example.com/dav/a/');
    expect(gioDavUrl('HTTPS://nas.example.com/dav/a/')).toBe('davs://nas.example.com/dav/a/');
  });

  it('leaves anything else alone', () => {
    expect(gioDavUrl('dav://already/')).toBe('dav://already/');
  });
});

describe('shellQuote', () => {
  it('keeps a value with quotes, dollars and backticks literal in sh', () => {
    const nasty = `it's $(touch /tmp/pwned) \`id\` "x" \\ end`;
    expect(sh(`printf %s ${shellQuote(nasty)}`)).toBe(nasty);
  });
});

describe('slugify and rcloneRemoteName', () => {
  it('makes a lower-case, dash-separated name from a label', () => {
    expect(slugify('Family Photos')).toBe('family-photos');
    expect(slugify('Café Œuvres / 2024')).toBe('cafe-uvres-2024');
    expect(rcloneRemoteName('Family Photos')).toBe('homeport-family-photos');
  });

  it('gives read-only remotes their own name, so they never replace the read-write one', () => {
    expect(rcloneRemoteName('Family Photos', true)).toBe('homeport-family-photos-ro');
    expect(rcloneCreateCommand({ ...target, readonly: true })).toContain(
      'rclone config create homeport-family-photos-ro webdav',
    );
    expect(rcloneUsage({ ...target, readonly: true })).toContain(
      'rclone mount homeport-family-photos-ro: ~/homeport-family-photos-ro',
    );
    expect(rcloneUnmountCommand({ ...target, readonly: true })).toBe(
      'fusermount3 -u ~/homeport-family-photos-ro',
    );
  });

  it('falls back when nothing usable is left', () => {
    expect(slugify('…')).toBe('files');
    expect(rcloneRemoteName('')).toBe('homeport-files');
  });
});

describe('Linux commands', () => {
  it('mounts with gio through the dav:// form of the URL', () => {
    expect(gioMountCommand(target)).toBe(`gio mount 'dav://192.168.1.20:8090/dav/family-photos/'`);
  });

  it('mounts with davfs2 on a mount point named after the export, owned by the caller', () => {
    expect(davfsMountCommand(target)).toBe(
      [
        'sudo mkdir -p /mnt/family-photos',
        `sudo mount -t davfs -o uid="$(id -u)",gid="$(id -g)" 'http://192.168.1.20:8090/dav/family-photos/' /mnt/family-photos`,
      ].join('\n'),
    );
  });
});

describe('isLoopbackUrl', () => {
  it('recognises addresses that only work on the node itself', () => {
    expect(isLoopbackUrl('http://127.0.0.1:8090/dav/a/')).toBe(true);
    expect(isLoopbackUrl('http://localhost:8090/dav/a/')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:8090/dav/a/')).toBe(true);
    expect(isLoopbackUrl('http://192.168.1.20:8090/dav/a/')).toBe(false);
    expect(isLoopbackUrl('not a url')).toBe(false);
  });
});

describe('guessPlatform', () => {
  it('opens the tab of the system the browser runs on', () => {
    expect(guessPlatform('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15')).toBe(
      'macos',
    );
    expect(guessPlatform('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36')).toBe('windows');
    expect(guessPlatform('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36')).toBe('linux');
  });

  it('opens the phone tab on phones and tablets, whose user agents also say Linux or Mac OS X', () => {
    expect(guessPlatform('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36')).toBe('phone');
    expect(guessPlatform('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')).toBe('phone');
    // iPadOS asks for desktop pages with a Mac user agent; its touch screen gives it away.
    const ipad = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15';
    expect(guessPlatform(ipad, 5)).toBe('phone');
    expect(isMobileDevice(ipad, 0)).toBe(false);
    expect(guessPlatform('Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36')).toBeUndefined();
  });
});

describe('rclone snippets, run through rclone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeport-rclone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const remote = rcloneRemoteName(target.label);

  const dump = (config: string): Record<string, Record<string, string>> =>
    JSON.parse(execFileSync('rclone', ['config', 'dump', '--config', config], { encoding: 'utf8' }));
  const reveal = (obscured: string) =>
    execFileSync('rclone', ['reveal', '--', obscured], { encoding: 'utf8' }).trim();

  it('builds the config create command the issue asks for', () => {
    expect(rcloneCreateCommand(target)).toBe(
      `rclone config create homeport-family-photos webdav url='http://192.168.1.20:8090/dav/family-photos/' ` +
        `vendor=other user='mount-AbCdEf123' pass="$(rclone obscure -- '${target.password}')" --no-obscure`,
    );
  });

  it('masks the password in the text shown, and only there', () => {
    for (const text of [
      rcloneCreateCommand(target, PASSWORD_MASK),
      rcloneConfSection(target, PASSWORD_MASK),
    ]) {
      expect(text).not.toContain(target.password);
      expect(text).toContain(PASSWORD_MASK);
    }
    expect(rcloneCreateCommand(target)).toContain(target.password);
  });

  it('creates a webdav remote whose stored password reveals to the credential', () => {
    const config = join(dir, 'create.conf');
    sh(rcloneCreateCommand(target), { RCLONE_CONFIG: config });

    const section = dump(config)[remote];
    expect(section).toMatchObject({
      type: 'webdav',
      url: target.url,
      vendor: 'other',
      user: target.username,
    });
    expect(reveal(section?.pass ?? '')).toBe(target.password);
  });

  it('passes a password that starts with - as the argument, not as a flag', () => {
    const dashed = { ...target, password: '-V-not-a-flag' };
    const config = join(dir, 'dashed.conf');
    sh(rcloneCreateCommand(dashed), { RCLONE_CONFIG: config });
    expect(reveal(dump(config)[remote]?.pass ?? '')).toBe(dashed.password);
  });

  it('gives the same remote as a rclone.conf section once the password is obscured', () => {
    const obscured = execFileSync('rclone', ['obscure', '--', target.password], { encoding: 'utf8' }).trim();
    const config = join(dir, 'section.conf');
    const text = rcloneConfSection(target);
    expect(text).toContain(`rclone obscure -- ${shellQuote(target.password)}`);
    writeFileSync(config, `${text.replace(OBSCURED_PASSWORD_PLACEHOLDER, obscured)}\n`);

    const section = dump(config)[remote];
    expect(section).toEqual({
      type: 'webdav',
      url: target.url,
      vendor: 'other',
      user: target.username,
      pass: obscured,
    });
    expect(readFileSync(config, 'utf8')).toContain(`[${remote}]`);
  });
});
