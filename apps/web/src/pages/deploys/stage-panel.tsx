// One stage: what runs now (tag, digest, color, health, uptime — read from Docker and the proxy by the
// server), the deploy actions, the queue, the history and the live release's container output. Deploy
// records arrive live through the page's feed; the status is read again whenever one changes.
import { Badge, Button, Collapse, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useCallback, useContext, useEffect, useState } from 'react';
import { AsyncContent } from '../../components/async-content';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { useNow } from '../storage/use-now';
import type { DeployRecord, LiveRelease, Stage } from './api/deploy-types';
import { FINISHED } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { DeployFeedContext } from './deploy-feed-context';
import { formatUptime, shortDigest } from './deploy-format';
import { DeployList } from './deploy-history';
import { mergeDeploys } from './live-deploys';
import { useLiveLog } from './live-logs';
import { LogView } from './log-view';
import { StageActions } from './stage-actions';

export interface StagePanelProps {
  project: string;
  stage: Stage;
  onEdit: (stage: Stage) => void;
}

export function StagePanel({ project, stage, onEdit }: StagePanelProps) {
  const client = useDeployClient();
  const feed = useContext(DeployFeedContext);
  const status = useAsyncData(
    useCallback(
      (signal: AbortSignal) => client.stages.status(project, stage.name, { signal }),
      [client, project, stage.name],
    ),
  );
  const history = useAsyncData(
    useCallback(
      (signal: AbortSignal) => client.stages.history(project, stage.name, { signal }),
      [client, project, stage.name],
    ),
  );
  // Records heard since the lists were loaded (or returned by an action); merged with them, furthest along wins.
  const [heard, setHeard] = useState<DeployRecord[]>([]);
  const hear = useCallback(
    (record: DeployRecord) => setHeard((previous) => mergeDeploys(previous, [record])),
    [],
  );
  const reloadStatus = status.reload;
  const reloadHistory = history.reload;
  useEffect(
    () =>
      feed?.subscribe(stage.id, {
        onRecord: (record) => {
          hear(record);
          reloadStatus();
        },
        onResync: () => {
          reloadStatus();
          reloadHistory();
        },
      }),
    [feed, stage.id, hear, reloadStatus, reloadHistory],
  );

  const deploys = mergeDeploys(history.data ?? [], status.data?.queue ?? [], heard);
  const queue = deploys.filter((record) => !FINISHED.includes(record.status));
  const past = deploys.filter((record) => FINISHED.includes(record.status));
  const live = status.data?.live ?? null;
  const titleId = `stage-${stage.id}`;

  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby={titleId}>
      <Stack gap="md">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="xs" wrap="wrap">
            <Title order={3} size="h5" id={titleId}>
              {stage.name}
            </Title>
            <Badge variant="outline" size="sm">
              {stage.config.strategy}
            </Badge>
            {stage.config.autoDeploy && stage.config.promoteFrom === null && (
              <Badge variant="outline" size="sm" color="gray">
                auto-deploy
              </Badge>
            )}
            {stage.config.promoteFrom && (
              <Badge variant="outline" size="sm" color="grape">
                promoted from {stage.config.promoteFrom}
              </Badge>
            )}
          </Group>
          <Button size="xs" variant="default" onClick={() => onEdit(stage)}>
            Edit stage
          </Button>
        </Group>
        <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
          {stage.config.image} · tags {stage.config.tagPattern.kind} {stage.config.tagPattern.value}
          {stage.config.host ? ` · ${stage.config.host}` : ' · not routed'}
        </Text>

        <AsyncContent
          result={status}
          errorTitle="Could not read what runs"
          skeleton={<TableSkeleton rows={1} />}
        >
          {() => <LiveReleaseView stageName={stage.name} live={live} />}
        </AsyncContent>

        <StageActions
          project={project}
          stage={stage}
          liveReleaseId={live?.releaseId ?? null}
          onQueued={hear}
        />

        {queue.length > 0 && (
          <Stack gap="xs">
            <Title order={4} size="h6">
              Queue
            </Title>
            <DeployList deploys={queue} label={`Queue of ${stage.name}`} onCancelled={hear} />
          </Stack>
        )}

        <Stack gap="xs">
          <Title order={4} size="h6">
            History
          </Title>
          <AsyncContent
            result={history}
            errorTitle="Could not load the deploy history"
            skeleton={<TableSkeleton rows={2} />}
          >
            {() =>
              past.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No finished deploys yet.
                </Text>
              ) : (
                <DeployList deploys={past} label={`Deploy history of ${stage.name}`} onCancelled={hear} />
              )
            }
          </AsyncContent>
        </Stack>

        {live && <RuntimeLog key={live.releaseId} releaseId={live.releaseId} seq={live.seq} />}
      </Stack>
    </Paper>
  );
}

function LiveReleaseView({ stageName, live }: { stageName: string; live: LiveRelease | null }) {
  const now = useNow(1000);
  if (!live)
    return (
      <Text size="sm" c="dimmed" aria-label={`Running release of ${stageName}`}>
        Nothing runs yet. Deploy a tag to start.
      </Text>
    );
  const container = live.container;
  const health = !container ? 'unknown' : !container.running ? 'stopped' : container.health;
  const healthColor =
    health === 'healthy' || health === 'none' ? 'teal' : health === 'starting' ? 'yellow' : 'red';
  const drift = container?.imageDigest && live.digest && container.imageDigest !== live.digest;
  return (
    <Group gap="md" wrap="wrap" aria-label={`Running release of ${stageName}`} role="group">
      <Field label="Release">
        {live.seq === null ? '—' : `r${live.seq}`} · {live.tag ?? 'no tag'}
      </Field>
      <Field label="Digest">
        <span title={live.digest ?? undefined} data-testid="live-digest" data-digest={live.digest ?? ''}>
          {shortDigest(live.digest)}
        </span>
      </Field>
      <Field label="Color">
        <Badge color={live.color === 'blue' ? 'blue' : 'green'} variant="light">
          {live.color}
        </Badge>
      </Field>
      <Field label="Health">
        <Badge color={healthColor} variant="light" data-testid="live-health">
          {health === 'none' ? 'running' : health}
        </Badge>
      </Field>
      <Field label="Up">
        {container?.running && container.startedAt !== null ? formatUptime(container.startedAt, now) : '—'}
      </Field>
      {drift && (
        <Text size="xs" c="red">
          The container runs {shortDigest(container.imageDigest)}, not the release’s digest.
        </Text>
      )}
      {!live.proxyTarget && (
        <Text size="xs" c="dimmed">
          The proxy has no route to it (no host name).
        </Text>
      )}
    </Group>
  );
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </Stack>
  );
}

function RuntimeLog({ releaseId, seq }: { releaseId: string; seq: number | null }) {
  const [open, setOpen] = useState(false);
  return (
    <Stack gap="xs">
      <Button
        size="xs"
        variant="subtle"
        w="fit-content"
        aria-expanded={open}
        onClick={() => setOpen((value) => !value)}
      >
        {open ? 'Hide container output' : 'Container output'}
      </Button>
      <Collapse expanded={open} keepMounted={false}>
        <RuntimeLogLines releaseId={releaseId} seq={seq} />
      </Collapse>
    </Stack>
  );
}

function RuntimeLogLines({ releaseId, seq }: { releaseId: string; seq: number | null }) {
  const log = useLiveLog({ kind: 'runtime', releaseId }, true);
  return (
    <LogView
      log={log}
      label={`Container output of release ${seq === null ? releaseId : `r${seq}`}`}
      empty="The container has printed nothing yet."
    />
  );
}
