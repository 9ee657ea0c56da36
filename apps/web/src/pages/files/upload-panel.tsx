// The uploads of this page: total progress, and per file its progress with Pause / Resume / Cancel, and
// Replace when the name was taken. Shown while there is anything to show.
import { Button, Card, Group, Progress, ScrollArea, Stack, Text } from '@mantine/core';
import { formatBytes } from '../storage/storage-format';
import type { UploadQueue, UploadSnapshot, UploadTask } from './upload-queue';

const percent = (sent: number, size: number) => (size === 0 ? 100 : Math.min(100, (sent / size) * 100));

/** Rows drawn at most: a dropped folder of thousands of files would make the page crawl. */
const MAX_ROWS = 100;

/** What needs the person's eye first: running, paused and failed uploads, then waiting, then finished. */
const STATE_ORDER: Record<UploadTask['state'], number> = {
  uploading: 0,
  paused: 1,
  failed: 2,
  queued: 3,
  done: 4,
  cancelled: 5,
};

const STATE_WORDS: Record<UploadTask['state'], string> = {
  queued: 'Waiting',
  uploading: 'Uploading',
  paused: 'Paused',
  done: 'Uploaded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export interface UploadPanelProps {
  queue: UploadQueue;
  snapshot: UploadSnapshot;
  /** False for a file drop, which can never replace a file. @default true */
  allowReplace?: boolean;
}

export function UploadPanel({ queue, snapshot, allowReplace = true }: UploadPanelProps) {
  if (snapshot.tasks.length === 0) return null;
  const { total } = snapshot;
  const done = snapshot.tasks.filter((task) => task.state === 'done').length;
  const counted = snapshot.tasks.filter((task) => task.state !== 'cancelled').length;
  const rows = [...snapshot.tasks]
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.id - b.id)
    .slice(0, MAX_ROWS);
  const hidden = snapshot.tasks.length - rows.length;
  return (
    <Card withBorder radius="md" padding="sm" component="section" aria-label="Uploads">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Text size="sm" fw={600} data-testid="upload-total">
            {done} of {counted} uploaded · {formatBytes(total.sent)} of {formatBytes(total.size)}
          </Text>
          {!snapshot.busy && (
            <Button size="xs" variant="subtle" onClick={queue.clearFinished}>
              Clear
            </Button>
          )}
        </Group>
        <Progress
          value={percent(total.sent, total.size)}
          aria-label="Total upload progress"
          animated={snapshot.busy}
        />
        <ScrollArea.Autosize mah={240}>
          <Stack gap={6}>
            {rows.map((task) => (
              <TaskRow key={task.id} task={task} queue={queue} allowReplace={allowReplace} />
            ))}
            {hidden > 0 && (
              <Text size="xs" c="dimmed">
                and {hidden} more
              </Text>
            )}
          </Stack>
        </ScrollArea.Autosize>
      </Stack>
    </Card>
  );
}

function TaskRow({
  task,
  queue,
  allowReplace,
}: {
  task: UploadTask;
  queue: UploadQueue;
  allowReplace: boolean;
}) {
  const label = `${task.folder === '/' ? '' : task.folder}/${task.name}`;
  return (
    <Stack gap={2} data-testid="upload-task" data-state={task.state} aria-label={`Upload ${label}`}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="xs" truncate="end" title={label} style={{ minWidth: 0 }}>
          {label}
        </Text>
        <Group gap={4} wrap="nowrap">
          <Text size="xs" c={task.state === 'failed' ? 'red' : 'dimmed'} style={{ whiteSpace: 'nowrap' }}>
            {STATE_WORDS[task.state]} · {Math.floor(percent(task.sent, task.size))}%
          </Text>
          {(task.state === 'uploading' || task.state === 'queued') && (
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => queue.pause(task.id)}
              aria-label={`Pause ${task.name}`}
            >
              Pause
            </Button>
          )}
          {(task.state === 'paused' || (task.state === 'failed' && !task.exists)) && (
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => queue.resume(task.id)}
              aria-label={`Resume ${task.name}`}
            >
              Resume
            </Button>
          )}
          {allowReplace && task.exists && task.state === 'failed' && (
            <Button
              size="compact-xs"
              variant="subtle"
              color="orange"
              onClick={() => queue.replace(task.id)}
              aria-label={`Replace ${task.name}`}
            >
              Replace
            </Button>
          )}
          {task.state !== 'done' && task.state !== 'cancelled' && (
            <Button
              size="compact-xs"
              variant="subtle"
              color="red"
              onClick={() => queue.cancel(task.id)}
              aria-label={`Cancel ${task.name}`}
            >
              Cancel
            </Button>
          )}
        </Group>
      </Group>
      <Progress
        size="xs"
        value={percent(task.sent, task.size)}
        color={task.state === 'failed' ? 'red' : 'blue'}
      />
      {task.error && (
        <Text size="xs" c="red">
          {task.error}
        </Text>
      )}
    </Stack>
  );
}
