// A stage's deploys, newest first: status, trigger, tag and digest, a Cancel button while queued or running,
// and on demand the steps with their timing and messages and the deploy's log, live while it runs.
import { Badge, Button, Collapse, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { formatRelative } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import { type DeployRecord, type DeployStep, FINISHED } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { formatDuration, shortDigest, statusColor, statusLabel } from './deploy-format';
import { useLiveLog } from './live-logs';
import { LogView } from './log-view';

export function DeployList({
  deploys,
  label,
  onCancelled,
}: {
  deploys: readonly DeployRecord[];
  /** How the list is announced, e.g. "Deploy history of production". */
  label: string;
  onCancelled: (record: DeployRecord) => void;
}) {
  return (
    <Stack gap="xs" component="ul" aria-label={label} style={{ listStyle: 'none', padding: 0, margin: 0 }}>
      {deploys.map((deploy) => (
        <DeployRow key={deploy.id} deploy={deploy} onCancelled={onCancelled} />
      ))}
    </Stack>
  );
}

function DeployRow({
  deploy,
  onCancelled,
}: {
  deploy: DeployRecord;
  onCancelled: (r: DeployRecord) => void;
}) {
  const client = useDeployClient();
  const [open, setOpen] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const active = !FINISHED.includes(deploy.status);
  const cancel = async () => {
    setCancelling(true);
    try {
      const record = await client.cancel(deploy.id);
      notifySuccess(
        `Deploy #${deploy.seq} ${record.status === 'cancelled' ? 'cancelled' : 'is being cancelled'}`,
      );
      onCancelled(record);
    } catch (error) {
      notifyFailure(`Could not cancel deploy #${deploy.seq}`, error);
    } finally {
      setCancelling(false);
    }
  };
  const detailsId = `deploy-details-${deploy.id}`;
  return (
    <Paper
      component="li"
      withBorder
      radius="sm"
      p="xs"
      aria-label={`Deploy #${deploy.seq}`}
      data-status={deploy.status}
    >
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Group gap="xs" wrap="wrap">
          <Text fw={600} size="sm">
            #{deploy.seq}
          </Text>
          <Badge color={statusColor[deploy.status]} variant="light" data-testid="deploy-status">
            {statusLabel(deploy.status)}
          </Badge>
          <Text size="sm">{deploy.tag ?? 'no tag'}</Text>
          <Text size="xs" c="dimmed" ff="monospace" title={deploy.digest ?? undefined}>
            {shortDigest(deploy.digest)}
          </Text>
          <Text size="xs" c="dimmed">
            {deploy.trigger.replace('_', ' ')} · {formatRelative(deploy.createdAt)}
          </Text>
        </Group>
        <Group gap="xs">
          {active && (
            <Button
              size="compact-xs"
              variant="light"
              color="red"
              loading={cancelling}
              disabled={deploy.cancelRequested}
              onClick={cancel}
            >
              {deploy.cancelRequested ? 'Cancelling…' : 'Cancel'}
            </Button>
          )}
          <Button
            size="compact-xs"
            variant="subtle"
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={() => setOpen((value) => !value)}
          >
            {open ? 'Hide details' : 'Details'}
          </Button>
        </Group>
      </Group>
      {deploy.error && (
        <Text size="xs" c="red" mt={4}>
          Failed at {deploy.error.step}: {deploy.error.reason}
        </Text>
      )}
      <Collapse expanded={open} keepMounted={false} id={detailsId}>
        <DeployDetails deploy={deploy} active={active} />
      </Collapse>
    </Paper>
  );
}

function DeployDetails({ deploy, active }: { deploy: DeployRecord; active: boolean }) {
  const log = useLiveLog(
    { kind: 'deploy', deployId: deploy.id },
    active,
    `${deploy.status}:${deploy.steps.length}`,
  );
  return (
    <Stack gap="xs" mt="xs">
      <Table.ScrollContainer minWidth={420}>
        <Table verticalSpacing={4} fz="xs" aria-label={`Steps of deploy #${deploy.seq}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Step</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Took</Table.Th>
              <Table.Th>Message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {deploy.steps.map((step, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a step name can repeat (a rollback after a watch)
              <Table.Tr key={`${step.name}-${index}`}>
                <Table.Td>{step.name.replace('_', ' ')}</Table.Td>
                <Table.Td>
                  <Badge size="xs" variant="light" color={stepColor(step)}>
                    {step.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{stepDuration(step)}</Table.Td>
                <Table.Td style={{ wordBreak: 'break-word' }}>{step.message ?? ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LogView log={log} label={`Log of deploy #${deploy.seq}`} empty="No log lines yet." />
    </Stack>
  );
}

const stepColor = (step: DeployStep) =>
  step.status === 'ok'
    ? 'teal'
    : step.status === 'failed'
      ? 'red'
      : step.status === 'running'
        ? 'blue'
        : 'gray';

function stepDuration(step: DeployStep): string {
  if (step.endedAt === null) return '…';
  return formatDuration(Date.parse(step.endedAt) - Date.parse(step.startedAt));
}
