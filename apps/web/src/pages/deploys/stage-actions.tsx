// A stage's deploy actions: deploy a tag, promote a digest running healthy in the source stage (the list comes
// from the server), roll back to an earlier successful release. Each answers with the queued deploy, which
// then shows up in the queue through the live feed.
import { Alert, Button, Group, Modal, Radio, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useCallback, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { AsyncContent } from '../../components/async-content';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { formatDateTime } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import type { DeployRecord, Stage } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { shortDigest } from './deploy-format';

export interface StageActionsProps {
  project: string;
  stage: Stage;
  liveReleaseId: string | null;
  onQueued: (deploy: DeployRecord) => void;
}

export function StageActions({ project, stage, liveReleaseId, onQueued }: StageActionsProps) {
  const [dialog, setDialog] = useState<'promote' | 'rollback' | null>(null);
  return (
    <Stack gap="xs">
      {stage.config.promoteFrom === null ? (
        <DeployTagForm project={project} stage={stage} onQueued={onQueued} />
      ) : (
        <Text size="sm" c="dimmed">
          Takes only digests running healthy in {stage.config.promoteFrom}.
        </Text>
      )}
      <Group gap="xs">
        {stage.config.promoteFrom !== null && (
          <Button size="xs" variant="light" onClick={() => setDialog('promote')}>
            Promote
          </Button>
        )}
        <Button size="xs" variant="default" onClick={() => setDialog('rollback')}>
          Roll back
        </Button>
      </Group>
      <Modal
        opened={dialog !== null}
        onClose={() => setDialog(null)}
        title={
          dialog === 'promote'
            ? `Promote to ${stage.name} from ${stage.config.promoteFrom ?? ''}`
            : `Roll back ${stage.name}`
        }
        centered
      >
        {dialog === 'promote' && (
          <PromotePicker
            project={project}
            stage={stage}
            onDone={(deploy) => {
              setDialog(null);
              onQueued(deploy);
            }}
          />
        )}
        {dialog === 'rollback' && (
          <RollbackPicker
            project={project}
            stage={stage}
            liveReleaseId={liveReleaseId}
            onDone={(deploy) => {
              setDialog(null);
              onQueued(deploy);
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}

function DeployTagForm({ project, stage, onQueued }: Omit<StageActionsProps, 'liveReleaseId'>) {
  const client = useDeployClient();
  const [tag, setTag] = useState('');
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (tag.trim() === '') return;
    setPending(true);
    try {
      const deploy = await client.stages.deployTag(project, stage.name, tag.trim());
      notifySuccess(`Deploy #${deploy.seq} of ${tag.trim()} queued`);
      setTag('');
      onQueued(deploy);
    } catch (error) {
      notifyFailure(`Could not deploy ${tag.trim()}`, error);
    } finally {
      setPending(false);
    }
  };
  return (
    <form onSubmit={submit}>
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <TextInput
          label={`Tag to deploy to ${stage.name}`}
          placeholder="v1.2.3"
          value={tag}
          onChange={(event) => setTag(event.currentTarget.value)}
          style={{ flex: 1, minWidth: 0 }}
        />
        <Button type="submit" loading={pending} disabled={tag.trim() === ''}>
          Deploy
        </Button>
      </Group>
    </form>
  );
}

interface PickerProps {
  project: string;
  stage: Stage;
  onDone: (deploy: DeployRecord) => void;
}

/** A radio list of choices with one submit button; the failure stays in the dialog. */
function PickAndSubmit({
  label,
  options,
  submitLabel,
  run,
}: {
  label: string;
  options: { value: string; label: string; description: string }[];
  submitLabel: string;
  run: (value: string) => Promise<void>;
}) {
  const [value, setValue] = useState<string | null>(options[0]?.value ?? null);
  const [failure, setFailure] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (value === null) return;
    setPending(true);
    setFailure(undefined);
    try {
      await run(value);
    } catch (error) {
      setFailure(error);
    } finally {
      setPending(false);
    }
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="md">
        <Radio.Group label={label} value={value} onChange={setValue}>
          <Stack gap="xs" mt="xs">
            {options.map((option) => (
              <Radio
                key={option.value}
                value={option.value}
                label={option.label}
                description={option.description}
              />
            ))}
          </Stack>
        </Radio.Group>
        {failure !== undefined && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(failure)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={pending} disabled={value === null}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function PromotePicker({ project, stage, onDone }: PickerProps) {
  const client = useDeployClient();
  const eligible = useAsyncData(
    useCallback(
      (signal: AbortSignal) => client.stages.eligibleForPromote(project, stage.name, { signal }),
      [client, project, stage.name],
    ),
  );
  return (
    <AsyncContent
      result={eligible}
      errorTitle="Could not list what can be promoted"
      skeleton={<TableSkeleton rows={2} />}
      isEmpty={(digests) => digests.length === 0}
      empty={
        <Text size="sm">
          Nothing runs healthy in {stage.config.promoteFrom} now, so there is nothing to promote.
        </Text>
      }
    >
      {(digests) => (
        <PickAndSubmit
          label={`Running healthy in ${stage.config.promoteFrom}`}
          submitLabel="Promote"
          options={digests.map((digest) => ({
            value: digest,
            label: shortDigest(digest),
            description: digest,
          }))}
          run={async (digest) => {
            const deploy = await client.stages.promote(project, stage.name, digest);
            notifySuccess(`Deploy #${deploy.seq} promotes ${shortDigest(digest)}`);
            onDone(deploy);
          }}
        />
      )}
    </AsyncContent>
  );
}

function RollbackPicker({
  project,
  stage,
  liveReleaseId,
  onDone,
}: PickerProps & { liveReleaseId: string | null }) {
  const client = useDeployClient();
  const releases = useAsyncData(
    useCallback(
      (signal: AbortSignal) => client.stages.releases(project, stage.name, { signal }),
      [client, project, stage.name],
    ),
  );
  return (
    <AsyncContent
      result={releases}
      errorTitle="Could not list the releases"
      skeleton={<TableSkeleton rows={3} />}
    >
      {(all) => {
        const earlier = all.filter((release) => release.succeededAt !== null && release.id !== liveReleaseId);
        if (earlier.length === 0)
          return <Text size="sm">No earlier release of {stage.name} went live successfully yet.</Text>;
        return (
          <PickAndSubmit
            label="Earlier successful releases"
            submitLabel="Roll back"
            options={earlier.map((release) => ({
              value: release.id,
              label: `r${release.seq} · ${release.tag ?? 'no tag'} · ${shortDigest(release.digest)}`,
              description: `went live ${formatDateTime(release.succeededAt)}`,
            }))}
            run={async (releaseId) => {
              const deploy = await client.stages.rollback(project, stage.name, releaseId);
              notifySuccess(`Deploy #${deploy.seq} rolls ${stage.name} back`);
              onDone(deploy);
            }}
          />
        );
      }}
    </AsyncContent>
  );
}
