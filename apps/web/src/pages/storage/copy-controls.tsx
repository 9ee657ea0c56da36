// Read-only values and command snippets with a Copy button, for the Mount dialog.
import { Box, Button, Code, Group, Stack, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { type FocusEvent, useEffect, useRef, useState } from 'react';
import { SecretInput } from '../../components/secret-input';
import { copyText } from '../../lib/copy-text';
import { notifyFailure } from '../../lib/notify';

/**
 * A Copy button for `value`. Where the Clipboard API is missing (Homeport opened over plain http on a
 * LAN), copying needs selected text on the page; a hidden textarea holds it, because the visible field
 * may be a password input (browsers refuse to copy from those) or a multi-line snippet (an input would
 * drop the line breaks).
 */
export function CopyTextButton({ value, what }: { value: string; what: string }) {
  const source = useRef<HTMLTextAreaElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    let ok = await copyText(value, null);
    if (!ok && source.current) {
      source.current.focus();
      source.current.select();
      // Deprecated, but the only way without the Clipboard API; it reports failure honestly.
      ok = document.execCommand('copy');
      button.current?.focus();
    }
    if (ok) setCopied(true);
    else
      notifyFailure(
        'Could not copy',
        new Error(`The browser refused; select the ${what} and copy it by hand.`),
      );
  };

  return (
    <>
      <Button
        ref={button}
        variant={copied ? 'filled' : 'light'}
        color={copied ? 'teal' : 'blue'}
        onClick={copy}
        aria-label={`Copy ${what}`}
        miw={96}
      >
        {copied ? 'Copied' : 'Copy'}
      </Button>
      <VisuallyHidden>
        <textarea ref={source} value={value} readOnly tabIndex={-1} aria-hidden />
      </VisuallyHidden>
    </>
  );
}

export interface CopyFieldProps {
  label: string;
  value: string;
  /** Masked, with a show toggle. */
  secret?: boolean;
  description?: string | undefined;
}

/** A labelled read-only field with a Copy button beside it. */
export function CopyField({ label, value, secret = false, description }: CopyFieldProps) {
  const fieldProps = {
    label,
    description,
    value,
    readOnly: true,
    styles: { input: { fontFamily: 'var(--mantine-font-family-monospace)' } },
    style: { flex: 1, minWidth: 0 },
    onFocus: (event: FocusEvent<HTMLInputElement>) => event.currentTarget.select(),
  };
  return (
    <Group gap="xs" align="flex-end" wrap="nowrap">
      {secret ? <SecretInput {...fieldProps} /> : <TextInput {...fieldProps} />}
      <CopyTextButton value={value} what={label.toLowerCase()} />
    </Group>
  );
}

export interface CopySnippetProps {
  /** What the Copy button copies. */
  code: string;
  /** What the page shows, when it differs from `code` (a password masked: shoulders and screen shares). */
  shown?: string;
  what: string;
  caption?: string;
}

/** A command or config snippet in a code block, with a Copy button and an optional caption above it. */
export function CopySnippet({ code, shown = code, what, caption }: CopySnippetProps) {
  return (
    <Stack gap={4}>
      {caption && (
        <Text size="sm" c="dimmed">
          {caption}
        </Text>
      )}
      <Group gap="xs" align="flex-start" wrap="nowrap">
        <Box style={{ flex: 1, minWidth: 0 }}>
          <Code block style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {shown}
          </Code>
        </Box>
        <CopyTextButton value={code} what={what} />
      </Group>
    </Stack>
  );
}
