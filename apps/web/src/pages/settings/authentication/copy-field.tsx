// A read-only value with a Copy button: the URLs an admin pastes into the provider's client settings.
import { Button, TextInput } from '@mantine/core';
import { useRef, useState } from 'react';
import { copyText } from '../../../lib/copy-text';

export function CopyField({ label, value }: { label: string; value: string }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    setCopied(await copyText(value, field.current));
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <TextInput
      ref={field}
      label={label}
      value={value}
      readOnly
      onFocus={(event) => event.currentTarget.select()}
      rightSectionWidth={72}
      rightSection={
        <Button size="compact-xs" variant="subtle" onClick={copy} aria-label={`Copy ${label}`}>
          {copied ? 'Copied' : 'Copy'}
        </Button>
      }
    />
  );
}
