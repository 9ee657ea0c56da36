// A log's lines in a scrolling monospace box that follows the end while the reader is at the bottom; stderr
// in red. Lines are text nodes: what a container prints is never markup.
import { Alert, Box, Code, ScrollArea, Text } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { errorMessage } from '../../api/api-error';
import type { LiveLog } from './live-logs';

export function LogView({ log, label, empty }: { log: LiveLog; label: string; empty: string }) {
  const viewport = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const count = log.lines.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: new lines (count) are what moves the view
  useEffect(() => {
    const element = viewport.current;
    if (element && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [count]);
  if (log.error !== undefined && count === 0)
    return (
      <Alert color="red" variant="light" title={`Could not load the ${label.toLowerCase()}`}>
        {errorMessage(log.error)}
      </Alert>
    );
  return (
    <ScrollArea.Autosize
      mah={320}
      viewportRef={viewport}
      onScrollPositionChange={({ y }) => {
        const element = viewport.current;
        if (element) atBottom.current = y + element.clientHeight >= element.scrollHeight - 8;
      }}
    >
      <Box role="log" aria-label={label} aria-live="off">
        {!log.loaded ? (
          <Text size="xs" c="dimmed">
            Loading…
          </Text>
        ) : count === 0 ? (
          <Text size="xs" c="dimmed">
            {empty}
          </Text>
        ) : (
          log.lines.map((line) => (
            <Code
              key={line.seq}
              block
              data-stream={line.stream}
              {...(line.stream === 'stderr' ? { c: 'red' } : {})}
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', padding: '0 6px', borderRadius: 0 }}
            >
              {`${new Date(line.ts).toLocaleTimeString()}  ${line.line}`}
            </Code>
          ))
        )}
      </Box>
    </ScrollArea.Autosize>
  );
}
