// Grey bars in the shape of a table, shown while its rows load.
import { Skeleton, Stack } from '@mantine/core';

export function TableSkeleton({ rows = 3 }: { rows?: number }) {
  return (
    <Stack gap="sm" role="status" aria-label="Loading">
      <Skeleton height={28} width="60%" />
      {Array.from({ length: rows }, (_, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: identical placeholders with no identity of their own
        <Skeleton key={index} height={36} />
      ))}
    </Stack>
  );
}
