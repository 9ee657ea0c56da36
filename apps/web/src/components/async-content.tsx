// Renders the three states of an AsyncData — loading, failed, loaded (or empty) — in one consistent way.
import { Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import type { AsyncData } from '../hooks/use-async-data';
import { ErrorState } from './error-state';

export interface AsyncContentProps<T> {
  result: AsyncData<T>;
  /** What failed, e.g. "Could not load users". */
  errorTitle: string;
  /** Placeholder shaped like the content, shown before the first answer. */
  skeleton: ReactNode;
  /** When set and true for the data, `empty` is rendered instead of `children`. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}

export function AsyncContent<T>({
  result,
  errorTitle,
  skeleton,
  isEmpty,
  empty,
  children,
}: AsyncContentProps<T>) {
  const { data, error, loading, reload } = result;
  if (data === undefined) {
    if (error !== undefined && !loading)
      return <ErrorState title={errorTitle} error={error} onRetry={reload} />;
    return skeleton;
  }
  const content = isEmpty?.(data) ? empty : children(data);
  // A failed background reload keeps the last good data on screen, with the failure above it.
  if (error === undefined) return content;
  return (
    <Stack gap="md">
      <ErrorState title={errorTitle} error={error} onRetry={reload} retrying={loading} />
      {content}
    </Stack>
  );
}
