// Settings → Storage's form state: the default access of members, its choices in words, whether it may be
// changed (not when the configuration pins it) and saved, and what a save does to members' credentials.
import type { DefaultAccess, NasSettings } from '../../../api/types';

export interface DefaultAccessChoice {
  value: DefaultAccess;
  label: string;
  /** One line on what members get. */
  description: string;
}

/** Narrowest first, as the radio buttons list them. */
export const DEFAULT_ACCESS_CHOICES: readonly DefaultAccessChoice[] = [
  {
    value: 'none',
    label: 'None',
    description: 'Members see only the exports an admin shared with them.',
  },
  {
    value: 'read-only',
    label: 'Read-only',
    description: 'Every member sees every export and mounts it read-only; a share can give more.',
  },
  {
    value: 'read-write',
    label: 'Read-write',
    description: 'Every member sees and mounts every export, as in betterNAS.',
  },
];

export const isDefaultAccess = (value: string): value is DefaultAccess =>
  DEFAULT_ACCESS_CHOICES.some((choice) => choice.value === value);

export const defaultAccessLabel = (access: DefaultAccess): string =>
  DEFAULT_ACCESS_CHOICES.find((choice) => choice.value === access)?.label ?? access;

/** "Set by HOMEPORT_NAS_DEFAULT_ACCESS (environment)"; undefined when the page may change it. */
export function managedNote(managed: NasSettings['managed']): string | undefined {
  if (managed === null) return undefined;
  switch (managed.source) {
    case 'env':
      return `Set by ${managed.name} (environment)`;
    case 'flag':
      return `Set by ${managed.name} (command-line flag)`;
    case 'file':
      return `Set by ${managed.name} in the config file`;
  }
}

export interface DefaultAccessForm {
  /** What the server has in effect. */
  saved: DefaultAccess;
  /** What the admin picked. */
  value: DefaultAccess;
  /** Why the control is locked (the variable, flag or config key that sets it); undefined when editable. */
  lockedBy: string | undefined;
}

export function formFromSettings(settings: NasSettings): DefaultAccessForm {
  return {
    saved: settings.defaultAccess,
    value: settings.defaultAccess,
    lockedBy: managedNote(settings.managed),
  };
}

/** Save does something: the value changed and the configuration does not pin it. */
export const canSave = (form: DefaultAccessForm): boolean =>
  form.lockedBy === undefined && form.value !== form.saved;

const rank: Record<DefaultAccess, number> = { none: 0, 'read-only': 1, 'read-write': 2 };

/**
 * A narrower default ends, at once, the mount credentials members got under the old one (those with a share
 * of their own keep theirs): the page asks before saving it.
 */
export const isNarrowing = (form: DefaultAccessForm): boolean => rank[form.value] < rank[form.saved];

/** What a narrower default does to members, for the confirmation before saving it. */
export function narrowingConsequence(to: DefaultAccess): string {
  const lost =
    to === 'none'
      ? 'Members no longer see the exports nobody shared with them, and their mount credentials for those exports stop working now.'
      : 'Members keep seeing every export, read-only, and their read-write mount credentials for exports nobody shared with them stop working now.';
  return `${lost} On nodes running a betterNAS agent, credentials keep working until they expire.`;
}

/** The notification after a save. */
export function savedMessage(from: DefaultAccess, to: DefaultAccess): string {
  const now = `Default access for members: ${defaultAccessLabel(to)}`;
  return rank[to] < rank[from] ? `${now}. Mount credentials they held beyond it were ended.` : now;
}
