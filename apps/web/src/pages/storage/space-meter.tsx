// An export's disk at a glance: free space in words and a bar of what is in use.
import { Progress, Stack, Text } from '@mantine/core';
import type { StorageExport } from '../../api/types';
import { summarizeSpace } from './storage-format';

export function SpaceMeter({ item }: { item: StorageExport }) {
  const { text, usedPercent } = summarizeSpace(item);
  const color =
    usedPercent === undefined ? 'blue' : usedPercent >= 95 ? 'red' : usedPercent >= 85 ? 'yellow' : 'blue';
  return (
    <Stack gap={4} miw={140}>
      <Text size="sm" title="Free space on the disk that holds the folder, as the node last measured it">
        {text}
      </Text>
      {usedPercent !== undefined && (
        <Progress
          value={usedPercent}
          color={color}
          size="sm"
          aria-label={`${Math.round(usedPercent)}% of the disk in use`}
        />
      )}
    </Stack>
  );
}
