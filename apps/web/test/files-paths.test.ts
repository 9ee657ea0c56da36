// Paths of the Files page: per-segment encoding to the agent and to the page's own address, and back,
// for names with '#', '?', '%', spaces and Unicode; breadcrumbs; names the node cannot hold.
import { describe, expect, it } from 'vitest';
import {
  agentUrl,
  breadcrumbs,
  checkName,
  encodePath,
  filesPageUrl,
  isSameOrInside,
  joinPath,
  parentOf,
  pathFromPageUrl,
} from '../src/pages/files/file-paths';

const awkward = ['a#b', 'why?', '100%', 'sp ace', 'naïve ☃', '%2F', 'x&y=z', '日本語'];

describe('file paths', () => {
  it('encodes each segment on its own, so no name becomes a separator, query or fragment', () => {
    expect(encodePath('/a#b/why?/100%')).toBe('/a%23b/why%3F/100%25');
    expect(encodePath('/')).toBe('/');
    expect(agentUrl('http://n:1/dav/x/', '/a#b/c d', true)).toBe('http://n:1/dav/x/a%23b/c%20d/');
    expect(agentUrl('http://n:1/dav/x/', '/f.txt', false)).toBe('http://n:1/dav/x/f.txt');
    expect(agentUrl('http://n:1/dav/x', '/', true)).toBe('http://n:1/dav/x/');
  });

  it('reads back from the page address exactly the folder it was made from', () => {
    for (const name of awkward) {
      const path = joinPath(joinPath('/', name), name);
      const url = filesPageUrl('exp_1', path);
      expect(new URL(url, 'http://h').pathname).toBe(url);
      expect(pathFromPageUrl(url, 'exp_1')).toBe(path);
    }
    expect(filesPageUrl('exp_1', '/')).toBe('/files/exp_1');
    expect(pathFromPageUrl('/files/exp_1', 'exp_1')).toBe('/');
    expect(pathFromPageUrl('/files/exp_1/', 'exp_1')).toBe('/');
  });

  it('refuses page addresses no folder can have', () => {
    expect(pathFromPageUrl('/files/exp_1/%E0%A4%A', 'exp_1')).toBeNull();
    expect(pathFromPageUrl('/files/exp_1/a/%2E%2E/b', 'exp_1')).toBeNull();
    expect(pathFromPageUrl('/files/exp_1/a/..', 'exp_1')).toBeNull();
    expect(pathFromPageUrl('/files/exp_1/a%00', 'exp_1')).toBeNull();
    expect(pathFromPageUrl('/files/exp_1/a%2Fb', 'exp_1')).toBeNull();
    expect(pathFromPageUrl('/files/other/a', 'exp_1')).toBeNull();
    expect(pathFromPageUrl('/files/exp_10/a', 'exp_1')).toBeNull();
  });

  it('breadcrumbs go from the export down to the folder', () => {
    expect(breadcrumbs('/a#b/c', 'Files')).toEqual([
      { name: 'Files', path: '/' },
      { name: 'a#b', path: '/a#b' },
      { name: 'c', path: '/a#b/c' },
    ]);
    expect(breadcrumbs('/', 'Files')).toEqual([{ name: 'Files', path: '/' }]);
    expect(parentOf('/a/b')).toBe('/a');
    expect(parentOf('/a')).toBe('/');
    expect(parentOf('/')).toBe('/');
  });

  it('knows a folder cannot go inside itself', () => {
    expect(isSameOrInside('/a/b', '/a')).toBe(true);
    expect(isSameOrInside('/a', '/a')).toBe(true);
    expect(isSameOrInside('/ab', '/a')).toBe(false);
    expect(isSameOrInside('/a', '/a/b')).toBe(false);
  });

  it('refuses names the node cannot hold, with a reason', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\0b', 'é'.repeat(128)])
      expect(checkName(bad)).not.toBeNull();
    for (const good of awkward) expect(checkName(good)).toBeNull();
  });
});
