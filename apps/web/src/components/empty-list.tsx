// What a list panel shows when it has nothing yet: what the list is for and how to add the first item.
import { EmptyState } from '@mantine/core';
import type { ReactNode } from 'react';

export function EmptyList({ title, description }: { title: string; description?: ReactNode }) {
  return <EmptyState title={title} description={description} mt="xl" />;
}
