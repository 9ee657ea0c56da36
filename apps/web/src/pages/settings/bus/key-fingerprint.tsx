// A public key shown as its fingerprint, with the whole key in the title and a Copy button (the Storage
// page's, which also copies over plain HTTP on a LAN, where the Clipboard API is missing).
import { Code, Group } from '@mantine/core';
import { keyFingerprint } from '../../rooms/room-format';
import { CopyTextButton } from '../../storage/copy-controls';

export function KeyFingerprint({ hex, label }: { hex: string; label: string }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Code title={hex} style={{ whiteSpace: 'nowrap' }}>
        {keyFingerprint(hex)}
      </Code>
      <CopyTextButton value={hex} what={label} />
    </Group>
  );
}
