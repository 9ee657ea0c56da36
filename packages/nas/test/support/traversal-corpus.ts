// Spellings of a request path that try to leave the folder they are appended to, with the status the WebDAV
// handler answers each with: the corpus every path-taking surface is tested against (WebDAV, the files API,
// share links' scopes).

/** [what it tries, the path after the prefix, WebDAV's status]. */
export const TRAVERSAL_CASES: readonly (readonly [string, string, number])[] = [
  ['dot-dot segments', '../secret.txt', 400],
  ['dot-dot deeper than the root', 'folder/../../secret.txt', 400],
  ['percent-encoded dots', '%2e%2e/secret.txt', 400],
  ['upper-case percent-encoded dots', '%2E%2E/secret.txt', 400],
  ['half-encoded dots', '.%2e/secret.txt', 400],
  ['an encoded slash after dots', '..%2fsecret.txt', 400],
  ['fully encoded dots and slash', '%2e%2e%2fsecret.txt', 400],
  ['an encoded backslash', '..%5csecret.txt', 400],
  ['a raw backslash', '..\\secret.txt', 400],
  ['double-encoded dots (decoded once: a literal name)', '%252e%252e/secret.txt', 404],
  ['double-encoded dots and slash', '%252e%252e%252fsecret.txt', 404],
  ['overlong UTF-8 dots', '%c0%ae%c0%ae/secret.txt', 400],
  ['overlong UTF-8 slash', '..%c0%afsecret.txt', 400],
  ['three-byte overlong dot', '%e0%80%ae%e0%80%ae/secret.txt', 400],
  ['an encoded absolute path', '%2fetc%2fpasswd', 400],
  ['a NUL byte', 'inside.txt%00.jpg', 400],
  ['a lone NUL', '%00', 400],
  ['an invalid escape', '%zz', 400],
  ['a truncated escape', 'inside.txt%2', 400],
  ['a dot segment', './inside.txt', 400],
  ['a fragment', 'folder/#frag', 400],
];
