// Which tags of a repository a stage deploys, and which of them is the newest: a regular expression
// (full match) or a semver range. Patterns come from users, so a regex that could backtrack for ages
// is refused when it is compiled, not discovered when a poller hangs.

import semver from 'semver';
import { DeployError } from '../errors.js';

export type TagPatternSpec = { kind: 'regex'; value: string } | { kind: 'semver'; value: string };

export interface TagPattern {
  matches(tag: string): boolean;
  /** The newest matching tag (see compileTagPattern for the order), or undefined when none matches. */
  newest(tags: readonly string[]): string | undefined;
}

const MAX_PATTERN = 256;
/** Longer than any valid tag (128): nothing a regex is run on is longer than this. */
const MAX_TAG = 128;

function bad(message: string): DeployError {
  return new DeployError('deploy_bad_request', message);
}

/**
 * Refuses the shapes behind catastrophic backtracking in a backtracking engine: a quantified group that
 * itself holds a quantifier or an alternation (`(a+)+`, `(\d*)*`, `(a|ab)*`, `(x{1,3}){2,}`), and
 * back-references. Deliberately coarse — it also refuses some harmless patterns, which can always be
 * written without nesting. Together with the tag length cap it keeps every match cheap.
 */
export function unsafeRegexReason(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'back-references are not allowed';
  // Drop escapes and character classes: their quantifier-like characters are literals.
  const plain = source.replace(/\\./g, 'e').replace(/\[(?:\\.|[^\]\\])*\]/g, 'c');
  const open: { quantified: boolean; alternation: boolean }[] = [];
  for (let i = 0; i < plain.length; i++) {
    const char = plain[i];
    if (char === '(') open.push({ quantified: false, alternation: false });
    else if (char === ')') {
      const group = open.pop();
      const next = plain[i + 1];
      // `?` after a group is at most once, not repetition: `v\d+(\.\d+)?` is fine.
      const quantifiedGroup = next === '*' || next === '+' || next === '{';
      if (group && quantifiedGroup && (group.quantified || group.alternation)) {
        return 'a repeated group may not contain a quantifier or an alternation (nested repetition backtracks exponentially)';
      }
      // A quantifier anywhere inside counts for the enclosing groups too.
      const outer = open[open.length - 1];
      if (outer && group) {
        outer.quantified ||= group.quantified || quantifiedGroup;
        outer.alternation ||= group.alternation;
      }
    } else if (
      char === '*' ||
      char === '+' ||
      char === '{' ||
      // An optional item inside a repeated group (`(a?)+`) repeats too; `(?:` and lazy `+?` are not items.
      (char === '?' && i > 0 && !'(*+?}'.includes(plain[i - 1] ?? ''))
    ) {
      const outer = open[open.length - 1];
      if (outer) outer.quantified = true;
    } else if (char === '|') {
      const outer = open[open.length - 1];
      if (outer) outer.alternation = true;
    }
  }
  return undefined;
}

/**
 * Numeric-aware order: runs of digits compare as numbers, the rest as code points, so `v10` > `v9` and
 * `2024.05.01-3` > `2024.04.30-12`. Leading zeros do not count (`007` = `7`; then the plain string decides).
 */
export function compareTags(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (i % 2 === 1) {
      // Odd positions are the digit runs of the split.
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function regexPattern(value: string): TagPattern {
  const reason = unsafeRegexReason(value);
  if (reason !== undefined) throw bad(`tag pattern refused: ${reason}`);
  let regex: RegExp;
  try {
    // Anchored: `v1` must not match `v10-debug`. 'u' makes the syntax strict.
    regex = new RegExp(`^(?:${value})$`, 'u');
  } catch (error) {
    throw bad(`tag pattern is not a valid regular expression: ${(error as Error).message}`);
  }
  const matches = (tag: string) => typeof tag === 'string' && tag.length <= MAX_TAG && regex.test(tag);
  return {
    matches,
    newest: (tags) =>
      tags
        .filter(matches)
        .reduce<string | undefined>(
          (best, tag) => (best === undefined || compareTags(tag, best) > 0 ? tag : best),
          undefined,
        ),
  };
}

function semverPattern(value: string): TagPattern {
  const range = semver.validRange(value);
  if (range === null) throw bad(`tag pattern is not a semver range: ${JSON.stringify(value)}`);
  // `v1.2.3` and `1.2.3` both count (semver.valid drops a leading v); prereleases only when the range names one.
  const version = (tag: string): string | null =>
    typeof tag === 'string' && tag.length <= MAX_TAG ? semver.valid(tag) : null;
  const matches = (tag: string) => {
    const v = version(tag);
    return v !== null && semver.satisfies(v, range);
  };
  return {
    matches,
    newest: (tags) => {
      let best: { tag: string; version: string } | undefined;
      for (const tag of tags) {
        const v = version(tag);
        if (v === null || !semver.satisfies(v, range)) continue;
        const order = best === undefined ? 1 : semver.compare(v, best.version);
        // Equal versions (`v1.2.0` and `1.2.0`): the lower string, so the answer does not depend on list order.
        if (best === undefined || order > 0 || (order === 0 && tag < best.tag)) best = { tag, version: v };
      }
      return best?.tag;
    },
  };
}

/**
 * @example
 *   compileTagPattern({ kind: 'semver', value: '^1.2' }).newest(['v1.2.0', 'v1.10.1', 'v2.0.0']); // 'v1.10.1'
 *   compileTagPattern({ kind: 'regex', value: 'build-\\d+' }).newest(['build-9', 'build-10']); // 'build-10'
 */
export function compileTagPattern(spec: TagPatternSpec): TagPattern {
  if (typeof spec.value !== 'string' || spec.value.length === 0 || spec.value.length > MAX_PATTERN) {
    throw bad(`tag pattern must be 1–${MAX_PATTERN} characters`);
  }
  if (spec.kind === 'regex') return regexPattern(spec.value);
  if (spec.kind === 'semver') return semverPattern(spec.value);
  throw bad(`tag pattern kind must be 'regex' or 'semver'`);
}
