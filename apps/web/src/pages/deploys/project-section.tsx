// One project: its description, registry and polling settings, its stages (each a StagePanel) and the
// buttons to edit it and to add a stage.
import { Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { AsyncContent } from '../../components/async-content';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import type { Project, Stage } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { StageFormModal } from './stage-form-modal';
import { StagePanel } from './stage-panel';

export function ProjectSection({ project, onEdit }: { project: Project; onEdit: (p: Project) => void }) {
  const client = useDeployClient();
  const stages = useAsyncData(
    useCallback(
      (signal: AbortSignal) => client.stages.list(project.name, { signal }),
      [client, project.name],
    ),
  );
  const [editing, setEditing] = useState<Stage | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const openForm = (stage: Stage | null) => {
    setEditing(stage);
    setFormOpen(true);
  };
  const titleId = `project-${project.id}`;
  return (
    <Stack gap="sm" component="section" aria-labelledby={titleId}>
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Stack gap={2}>
          <Group gap="xs">
            <Title order={2} size="h4" id={titleId}>
              {project.name}
            </Title>
            {project.registryAuth && (
              <Badge variant="light" color="gray" size="sm">
                registry user {project.registryAuth.username}
              </Badge>
            )}
            {project.pollIntervalMs !== null && (
              <Badge variant="light" color="gray" size="sm">
                polls every {Math.round(project.pollIntervalMs / 1000)} s
              </Badge>
            )}
          </Group>
          {project.description && (
            <Text size="sm" c="dimmed">
              {project.description}
            </Text>
          )}
        </Stack>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => onEdit(project)}>
            Edit project
          </Button>
          <Button size="xs" onClick={() => openForm(null)}>
            Add stage
          </Button>
        </Group>
      </Group>
      <AsyncContent
        result={stages}
        errorTitle={`Could not load the stages of ${project.name}`}
        skeleton={<TableSkeleton rows={2} />}
        isEmpty={(list) => list.length === 0}
        empty={
          <Text size="sm" c="dimmed">
            No stages yet. A stage (staging, production…) says which image runs where; add one to deploy.
          </Text>
        }
      >
        {(list) => (
          <Stack gap="md">
            {list.map((stage) => (
              <StagePanel key={stage.id} project={project.name} stage={stage} onEdit={openForm} />
            ))}
          </Stack>
        )}
      </AsyncContent>
      <StageFormModal
        opened={formOpen}
        onClose={() => setFormOpen(false)}
        project={project.name}
        stage={editing}
        siblings={(stages.data ?? []).map((stage) => stage.name)}
        onSaved={stages.reload}
      />
    </Stack>
  );
}
