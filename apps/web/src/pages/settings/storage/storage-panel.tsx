// Settings → Storage (admins only): the default access of members, i.e. what a member gets on an export
// nobody shared with them. Locked, with the variable named, when the configuration sets it; a narrower
// default is confirmed first, since it ends members' mount credentials obtained under the old one.
import { Radio, Stack, Text } from '@mantine/core';
import { type FormEvent, useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import { ApiError } from '../../../api/api-error';
import type { NasSettings } from '../../../api/types';
import { AsyncContent } from '../../../components/async-content';
import { ConfirmModal } from '../../../components/confirm-modal';
import { FormActions } from '../../../components/form-actions';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import {
  canSave,
  DEFAULT_ACCESS_CHOICES,
  type DefaultAccessForm,
  defaultAccessLabel,
  formFromSettings,
  isDefaultAccess,
  isNarrowing,
  narrowingConsequence,
  savedMessage,
} from './default-access-form';

export default function StoragePanel() {
  const api = useApi();
  const settings = useAsyncData(
    useCallback((signal: AbortSignal) => api.nas.settings.get({ signal }), [api]),
  );
  return (
    <AsyncContent
      result={settings}
      errorTitle="Could not load the storage settings"
      skeleton={<TableSkeleton rows={3} />}
    >
      {/* Keyed by the loaded value: a fresh form after each save or reload. */}
      {(loaded) => (
        <DefaultAccessSection key={JSON.stringify(loaded)} settings={loaded} onSaved={settings.reload} />
      )}
    </AsyncContent>
  );
}

function DefaultAccessSection({ settings, onSaved }: { settings: NasSettings; onSaved: () => void }) {
  const api = useApi();
  const [form, setForm] = useState<DefaultAccessForm>(() => formFromSettings(settings));
  const [pending, setPending] = useState(false);
  const [confirmOpen, setConfirmOpen] = useState(false);
  const locked = form.lockedBy !== undefined;

  /** Rejects after reporting, so the confirmation stays open to try again. */
  const save = async () => {
    setPending(true);
    try {
      const saved = await api.nas.settings.update({ defaultAccess: form.value });
      notifySuccess(savedMessage(form.saved, saved.defaultAccess));
      // The answer is what is in effect now, even if the reload that follows fails.
      setForm(formFromSettings(saved));
      onSaved();
    } catch (error) {
      notifyFailure('Could not save the default access', error);
      // Set in the environment meanwhile (a restart): show the page as it now is.
      if (error instanceof ApiError && error.code === 'setting_managed') onSaved();
      throw error;
    } finally {
      setPending(false);
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canSave(form)) return;
    if (isNarrowing(form)) setConfirmOpen(true);
    else
      save().catch(() => {
        // Reported by save() in a notification; the form stays as the admin left it.
      });
  };

  return (
    <>
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="lg" maw={720}>
          <Radio.Group
            label="Default access for members"
            description={
              form.lockedBy ??
              'What a member gets on an export nobody shared with them. A share with that member (Storage → Share) always wins, “No access” included.'
            }
            value={form.value}
            onChange={(value) => {
              if (isDefaultAccess(value)) setForm((current) => ({ ...current, value }));
            }}
          >
            <Stack gap="sm" mt="sm">
              {DEFAULT_ACCESS_CHOICES.map((choice) => (
                <Radio
                  key={choice.value}
                  value={choice.value}
                  label={choice.label}
                  description={choice.description}
                  disabled={locked || pending}
                />
              ))}
            </Stack>
          </Radio.Group>
          <Text size="sm" c="dimmed">
            {locked
              ? 'Values from the environment or the config file win over this page: change it there and restart Homeport.'
              : 'Narrowing it ends, at once, the mount credentials members obtained under the old default (people with a share of their own keep theirs). Nodes running a betterNAS agent accept theirs until they expire.'}
          </Text>
          {!locked && (
            <FormActions
              submitLabel="Save"
              pending={pending}
              submitDisabled={!canSave(form)}
              onCancel={() => setForm((current) => ({ ...current, value: current.saved }))}
            />
          )}
        </Stack>
      </form>
      <ConfirmModal
        opened={confirmOpen}
        title={`Narrow the default access to ${defaultAccessLabel(form.value).toLowerCase()}?`}
        confirmLabel="Save and end credentials"
        onConfirm={save}
        onClose={() => setConfirmOpen(false)}
      >
        <Text size="sm">{narrowingConsequence(form.value)}</Text>
      </ConfirmModal>
    </>
  );
}
