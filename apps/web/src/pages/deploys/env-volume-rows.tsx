// The stage form's repeatable rows: env variables (a secret's stored value is never shown: its field says it
// is set and that leaving it empty keeps it) and volumes.
import { ActionIcon, Button, Checkbox, Group, Stack, Text, TextInput } from '@mantine/core';
import { SecretInput } from '../../components/secret-input';
import { type EnvRow, emptyEnvRow, emptyVolumeRow, type VolumeRow } from './stage-form';

export function EnvRows({
  rows,
  onChange,
  error,
}: {
  rows: EnvRow[];
  onChange: (rows: EnvRow[]) => void;
  error: string | undefined;
}) {
  const update = (key: string, change: Partial<EnvRow>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...change } : row)));
  return (
    <Stack gap="xs">
      {rows.map((row, index) => {
        const n = index + 1;
        const valueProps = {
          'aria-label': `Variable ${n} value`,
          placeholder: row.storedSecret ? 'set — leave empty to keep' : 'value',
          value: row.value,
          onChange: (event: { currentTarget: { value: string } }) =>
            update(row.key, { value: event.currentTarget.value }),
          style: { flex: '2 1 160px' },
        };
        return (
          <Group key={row.key} gap="xs" align="center" wrap="wrap">
            <TextInput
              aria-label={`Variable ${n} name`}
              placeholder="NAME"
              value={row.name}
              onChange={(event) => update(row.key, { name: event.currentTarget.value })}
              style={{ flex: '1 1 120px' }}
            />
            {row.secret ? <SecretInput {...valueProps} autoComplete="off" /> : <TextInput {...valueProps} />}
            <Checkbox
              label="Secret"
              aria-label={`Variable ${n} secret`}
              checked={row.secret}
              // Turning a stored secret into plain text needs its value again: the server never sends it.
              onChange={(event) =>
                update(row.key, {
                  secret: event.currentTarget.checked,
                  ...(event.currentTarget.checked ? {} : { storedSecret: false }),
                })
              }
            />
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={`Remove variable ${n}`}
              onClick={() => onChange(rows.filter((item) => item.key !== row.key))}
            >
              ×
            </ActionIcon>
          </Group>
        );
      })}
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
      <Button variant="default" size="xs" w="fit-content" onClick={() => onChange([...rows, emptyEnvRow()])}>
        Add variable
      </Button>
    </Stack>
  );
}

export function VolumeRows({
  rows,
  onChange,
  error,
}: {
  rows: VolumeRow[];
  onChange: (rows: VolumeRow[]) => void;
  error: string | undefined;
}) {
  const update = (key: string, change: Partial<VolumeRow>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...change } : row)));
  return (
    <Stack gap="xs">
      {rows.map((row, index) => {
        const n = index + 1;
        return (
          <Group key={row.key} gap="xs" align="center" wrap="wrap">
            <TextInput
              aria-label={`Volume ${n} source`}
              placeholder="/srv/app-data or a volume name"
              value={row.source}
              onChange={(event) => update(row.key, { source: event.currentTarget.value })}
              style={{ flex: '1 1 160px' }}
            />
            <TextInput
              aria-label={`Volume ${n} target`}
              placeholder="/data"
              value={row.target}
              onChange={(event) => update(row.key, { target: event.currentTarget.value })}
              style={{ flex: '1 1 120px' }}
            />
            <Checkbox
              label="Read-only"
              checked={row.readOnly}
              onChange={(event) => update(row.key, { readOnly: event.currentTarget.checked })}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={`Remove volume ${n}`}
              onClick={() => onChange(rows.filter((item) => item.key !== row.key))}
            >
              ×
            </ActionIcon>
          </Group>
        );
      })}
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
      <Button
        variant="default"
        size="xs"
        w="fit-content"
        onClick={() => onChange([...rows, emptyVolumeRow()])}
      >
        Add volume
      </Button>
    </Stack>
  );
}
