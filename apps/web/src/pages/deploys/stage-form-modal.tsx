// "Add stage" / "Edit stage": image, tag pattern, host, health check, env (secrets write-only), volumes,
// strategy, promoteFrom, auto-deploy and timeouts. After a save the server's warnings stay on screen until
// read; a save of a running stage says that it queued a deploy (a change is always a new release).
import {
  Alert,
  Button,
  Divider,
  Group,
  List,
  Modal,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { FormActions } from '../../components/form-actions';
import { notifySuccess } from '../../lib/notify';
import type { SavedStage, Stage } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { EnvRows, VolumeRows } from './env-volume-rows';
import {
  newStageValues,
  type StageFormErrors,
  type StageFormValues,
  stageInput,
  stageValues,
  validateStage,
} from './stage-form';

export interface StageFormModalProps {
  opened: boolean;
  onClose: () => void;
  project: string;
  /** The stage to edit; null adds one. */
  stage: Stage | null;
  /** Other stages of the project, for promoteFrom. */
  siblings: readonly string[];
  onSaved: (stage: SavedStage) => void;
}

export function StageFormModal(props: StageFormModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  const [warnings, setWarnings] = useState<string[] | null>(null);
  const close = () => {
    props.onClose();
    setWarnings(null);
  };
  const title = props.stage ? `Edit stage ${props.stage.name}` : `Add a stage to ${props.project}`;
  return (
    <Modal opened={props.opened} onClose={close} title={title} size="xl" fullScreen={phone} centered>
      {warnings ? (
        <Stack gap="md">
          <Alert color="yellow" variant="light" title="Saved, with warnings" role="alert">
            <List size="sm">
              {warnings.map((warning) => (
                <List.Item key={warning}>{warning}</List.Item>
              ))}
            </List>
          </Alert>
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        // A new key per stage (and per open) starts the form from what is saved now.
        <StageForm
          key={`${props.stage?.id ?? 'new'}:${props.stage?.configRevision ?? 0}`}
          {...props}
          onCancel={close}
          onSaved={(saved) => {
            props.onSaved(saved);
            if (saved.warnings.length > 0) setWarnings(saved.warnings);
            else close();
          }}
        />
      )}
    </Modal>
  );
}

function StageForm({
  project,
  stage,
  siblings,
  onCancel,
  onSaved,
}: StageFormModalProps & { onCancel: () => void }) {
  const client = useDeployClient();
  const [values, setValues] = useState<StageFormValues>(() =>
    stage ? stageValues(stage) : newStageValues(),
  );
  const [errors, setErrors] = useState<StageFormErrors>({});
  const [failure, setFailure] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const set = <K extends keyof StageFormValues>(key: K, value: StageFormValues[K]) =>
    setValues((previous) => ({ ...previous, [key]: value }));
  const text = (key: 'name' | 'image' | 'tagValue' | 'host' | 'healthPath') => ({
    value: values[key],
    onChange: (event: { currentTarget: { value: string } }) => set(key, event.currentTarget.value),
  });
  const number = (key: Exclude<keyof StageFormValues, 'env' | 'volumes'>, min: number) => ({
    value: values[key] as number | string,
    onChange: (value: number | string) => set(key, value),
    min,
    allowNegative: false,
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateStage(values, stage === null);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setPending(true);
    setFailure(undefined);
    try {
      const input = stageInput(values);
      const saved = stage
        ? await client.stages.update(project, stage.name, input, stage.configRevision)
        : await client.stages.create(project, values.name, input);
      notifySuccess(
        saved.deploy
          ? `Saved ${saved.name}: deploy #${saved.deploy.seq} brings the change live`
          : `Saved stage ${saved.name}`,
      );
      onSaved(saved);
    } catch (error) {
      setFailure(error);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {stage === null && (
            <TextInput
              label="Stage name"
              placeholder="production"
              required
              error={errors.name}
              {...text('name')}
            />
          )}
          <TextInput
            label="Image"
            description="Repository with its registry, no tag"
            placeholder="registry.example.com/team/app"
            required
            error={errors.image}
            {...text('image')}
          />
          <TextInput
            label="Host name"
            description="Routed by the proxy to this stage; empty: not routed"
            placeholder="app.example.com"
            {...text('host')}
          />
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Tag pattern
            </Text>
            <Group gap="xs" wrap="nowrap" align="flex-start">
              <SegmentedControl
                size="xs"
                aria-label="Tag pattern kind"
                value={values.tagKind}
                onChange={(value) => set('tagKind', value === 'semver' ? 'semver' : 'regex')}
                data={[
                  { value: 'regex', label: 'Regex' },
                  { value: 'semver', label: 'Semver' },
                ]}
              />
              <TextInput
                aria-label="Tag pattern"
                style={{ flex: 1 }}
                placeholder={values.tagKind === 'semver' ? '^1.2' : '.+'}
                error={errors.tagValue}
                {...text('tagValue')}
              />
            </Group>
          </Stack>
        </SimpleGrid>

        <Divider label="Health check" labelPosition="left" />
        <SimpleGrid cols={{ base: 2, sm: 5 }} spacing="sm">
          <TextInput label="Path" {...text('healthPath')} />
          <NumberInput label="Expected status" {...number('healthStatus', 100)} />
          <NumberInput label="Interval (s)" decimalScale={2} {...number('healthIntervalSec', 0.05)} />
          <NumberInput label="Timeout (s)" decimalScale={2} {...number('healthTimeoutSec', 0.05)} />
          <NumberInput label="Healthy after" {...number('healthyThreshold', 1)} />
        </SimpleGrid>

        <Divider label="Environment" labelPosition="left" />
        <EnvRows rows={values.env} onChange={(rows) => set('env', rows)} error={errors.env} />

        <Divider label="Volumes" labelPosition="left" />
        <VolumeRows rows={values.volumes} onChange={(rows) => set('volumes', rows)} error={errors.volumes} />

        <Divider label="Deploys" labelPosition="left" />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Strategy
            </Text>
            <SegmentedControl
              aria-label="Strategy"
              value={values.strategy}
              onChange={(value) => set('strategy', value === 'recreate' ? 'recreate' : 'blue-green')}
              data={[
                { value: 'blue-green', label: 'Blue-green' },
                { value: 'recreate', label: 'Recreate' },
              ]}
            />
          </Stack>
          <Select
            label="Promote from"
            description="Only digests running healthy there may be deployed here"
            placeholder="None"
            clearable
            data={siblings.filter((name) => name !== stage?.name)}
            value={values.promoteFrom === '' ? null : values.promoteFrom}
            onChange={(value) => set('promoteFrom', value ?? '')}
          />
          <Switch
            label="Deploy new matching tags by themselves (webhook and poller)"
            checked={values.autoDeploy}
            onChange={(event) => set('autoDeploy', event.currentTarget.checked)}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
          <NumberInput label="Deploy timeout (s)" {...number('deployTimeoutSec', 1)} />
          <NumberInput label="Drain timeout (s)" {...number('drainTimeoutSec', 0)} />
          <NumberInput label="Stop timeout (s)" {...number('stopTimeoutSec', 0)} />
          <NumberInput label="Watch after switch (s)" {...number('watchSec', 0)} />
        </SimpleGrid>
        {errors.numbers && (
          <Text size="sm" c="red" role="alert">
            {errors.numbers}
          </Text>
        )}
        {failure !== undefined && (
          <Alert color="red" variant="light" title="Could not save the stage" role="alert">
            {errorMessage(failure)}
          </Alert>
        )}
        {stage && (
          <Text size="sm" c="dimmed">
            Saving a running stage deploys its current image with the new configuration.
          </Text>
        )}
        <FormActions submitLabel={stage ? 'Save stage' : 'Add stage'} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}
