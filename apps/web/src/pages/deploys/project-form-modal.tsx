// "New project" / "Edit project": name (new only), description, registry credentials (the password is
// write-only: the server never sends it back, an empty field keeps it) and the registry poll interval.
import { Alert, Modal, NumberInput, SimpleGrid, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { FormActions } from '../../components/form-actions';
import { SecretInput } from '../../components/secret-input';
import { notifySuccess } from '../../lib/notify';
import type { Project, ProjectInput } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export interface ProjectFormModalProps {
  opened: boolean;
  onClose: () => void;
  /** The project to edit; null creates one. */
  project: Project | null;
  onSaved: (project: Project) => void;
}

export function ProjectFormModal(props: ProjectFormModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={props.project ? `Edit project ${props.project.name}` : 'New project'}
      fullScreen={phone}
      centered
    >
      <ProjectForm key={props.project?.updatedAt ?? 'new'} {...props} />
    </Modal>
  );
}

function ProjectForm({ project, onClose, onSaved }: ProjectFormModalProps) {
  const client = useDeployClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState(project?.description ?? '');
  const [username, setUsername] = useState(project?.registryAuth?.username ?? '');
  const [password, setPassword] = useState('');
  const [pollSec, setPollSec] = useState<number | string>(
    project?.pollIntervalMs ? project.pollIntervalMs / 1000 : '',
  );
  const [errors, setErrors] = useState<{ name?: string; auth?: string; poll?: string }>({});
  const [failure, setFailure] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const storedAuth = project?.registryAuth ?? null;

  /** Left out: keep what is stored; null: no credentials. */
  const registryAuth = (): ProjectInput['registryAuth'] | 'incomplete' => {
    const user = username.trim();
    if (user === '') return storedAuth ? null : undefined;
    if (password !== '') return { username: user, password };
    if (storedAuth && storedAuth.username === user) return undefined;
    return 'incomplete';
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (!project && !SLUG.test(name))
      found.name = 'Lower-case letters, digits and dashes, up to 40 characters (e.g. shop)';
    const auth = registryAuth();
    if (auth === 'incomplete') found.auth = 'Give the registry password for this user';
    const poll = pollSec === '' ? null : Number(pollSec);
    if (poll !== null && (!Number.isFinite(poll) || poll < 10)) found.poll = 'At least 10 seconds, or empty';
    setErrors(found);
    if (Object.keys(found).length > 0 || auth === 'incomplete') return;
    const input: ProjectInput = {
      description: description.trim(),
      pollIntervalMs: poll === null ? null : Math.round(poll * 1000),
      ...(auth === undefined ? {} : { registryAuth: auth }),
    };
    setPending(true);
    setFailure(undefined);
    try {
      const saved = project
        ? await client.projects.update(project.name, input)
        : await client.projects.create({ name, ...input });
      notifySuccess(project ? `Saved project ${saved.name}` : `Created project ${saved.name}`);
      onSaved(saved);
      onClose();
    } catch (error) {
      setFailure(error);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {!project && (
          <TextInput
            label="Project name"
            placeholder="shop"
            required
            data-autofocus
            value={name}
            error={errors.name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
        )}
        <Textarea
          label="Description"
          autosize
          minRows={2}
          value={description}
          onChange={(event) => setDescription(event.currentTarget.value)}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Registry credentials
          </Text>
          <Text size="xs" c="dimmed">
            For a private registry; used to pull images and read tags. Empty user: none.
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label="Registry user"
              autoComplete="off"
              value={username}
              onChange={(event) => setUsername(event.currentTarget.value)}
            />
            <SecretInput
              label="Registry password"
              autoComplete="new-password"
              placeholder={storedAuth ? 'set — leave empty to keep' : undefined}
              value={password}
              error={errors.auth}
              onChange={(event) => setPassword(event.currentTarget.value)}
            />
          </SimpleGrid>
        </Stack>
        <NumberInput
          label="Poll the registry every (s)"
          description="Finds new tags without a webhook; empty: no polling"
          min={10}
          allowNegative={false}
          value={pollSec}
          error={errors.poll}
          onChange={setPollSec}
        />
        {failure !== undefined && (
          <Alert color="red" variant="light" title="Could not save the project" role="alert">
            {errorMessage(failure)}
          </Alert>
        )}
        <FormActions
          submitLabel={project ? 'Save project' : 'Create project'}
          pending={pending}
          onCancel={onClose}
        />
      </Stack>
    </form>
  );
}
