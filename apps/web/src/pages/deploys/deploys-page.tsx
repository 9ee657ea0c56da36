// /deploys (admins): projects and their stages — what runs, the queue, history with steps and live logs,
// deploy / promote / rollback / cancel, the forms for projects and stages, and the registry webhook.
// Members never see it: every deploy route is admin-only (a stage's configuration is root on the Docker host).
import { Button, Divider, Group, Stack } from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { Navigate } from 'react-router';
import { useEvents } from '../../api/events';
import { useCurrentUser } from '../../auth/auth-context';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { LiveDataHint } from '../../components/live-data-hint';
import { PageHeader } from '../../components/page-header';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import type { Project } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { DeployFeedContext } from './deploy-feed-context';
import { createDeployFeed, DEPLOY_EVENT_TYPES, DEPLOYS_TOPIC, parseDeployChanged } from './live-deploys';
import { LogHubProvider } from './live-logs';
import { ProjectFormModal } from './project-form-modal';
import { ProjectSection } from './project-section';
import { WebhookInfo } from './webhook-info';

export default function DeploysPage() {
  const user = useCurrentUser();
  if (user.role !== 'admin') return <Navigate to="/storage" replace />;
  return <AdminDeploys />;
}

function AdminDeploys() {
  const client = useDeployClient();
  const projects = useAsyncData(
    useCallback((signal: AbortSignal) => client.projects.list({ signal }), [client]),
  );
  const feed = useMemo(createDeployFeed, []);
  useEvents(
    [DEPLOYS_TOPIC],
    (event) => {
      const record = parseDeployChanged(event.data);
      if (record) feed.publish(record);
    },
    {
      types: DEPLOY_EVENT_TYPES,
      onReconnect: () => {
        projects.reload();
        feed.resync();
      },
    },
  );
  const [editing, setEditing] = useState<Project | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const openForm = (project: Project | null) => {
    setEditing(project);
    setFormOpen(true);
  };

  return (
    <DeployFeedContext.Provider value={feed}>
      <LogHubProvider>
        <PageHeader
          title="Deploys"
          description="Containers you run from your registry: blue-green deploys behind the built-in proxy."
          actions={
            <Group gap="xs">
              <LiveDataHint />
              <Button onClick={() => openForm(null)}>New project</Button>
            </Group>
          }
        />
        <Stack gap="xl">
          <AsyncContent
            result={projects}
            errorTitle="Could not load the projects"
            skeleton={<TableSkeleton rows={3} />}
            isEmpty={(list) => list.length === 0}
            empty={
              <EmptyList
                title="No projects yet"
                description="A project groups the stages of one app (staging, production…). Create one to deploy."
              />
            }
          >
            {(list) => (
              <Stack gap="xl">
                {list.map((project, index) => (
                  <Stack key={project.id} gap="xl">
                    {index > 0 && <Divider />}
                    <ProjectSection project={project} onEdit={openForm} />
                  </Stack>
                ))}
              </Stack>
            )}
          </AsyncContent>
          <WebhookInfo />
        </Stack>
        <ProjectFormModal
          opened={formOpen}
          onClose={() => setFormOpen(false)}
          project={editing}
          onSaved={projects.reload}
        />
      </LogHubProvider>
    </DeployFeedContext.Provider>
  );
}
