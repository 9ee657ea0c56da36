// A public key shown as its fingerprint, with the whole key in the title and a copy button.
import { ActionIcon, Code, CopyButton, Group, Tooltip } from '@mantine/core';
import { keyFingerprint } from '../../rooms/room-format';

export function KeyFingerprint({ hex, label }: { hex: string; label: string }) {
  return (
    <Group gap={4} wrap="nowrap">
      <Code title={hex} style={{ whiteSpace: 'nowrap' }}>
        {keyFingerprint(hex)}
      </Code>
      <CopyButton value={hex}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : `Copy the whole ${label}`} withArrow>
            <ActionIcon
              size="sm"
              variant="subtle"
              color={copied ? 'teal' : 'gray'}
              onClick={copy}
              aria-label={`Copy ${label}`}
            >
              <span aria-hidden>{copied ? '✓' : '⧉'}</span>
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
