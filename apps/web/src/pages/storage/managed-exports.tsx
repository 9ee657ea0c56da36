// An admin's exports of a node from the UI: folders added inside the roots its agent allows (HOMEPORT_EXPORT_ROOTS),
// renamed and removed here; exports from the agent's configuration are listed as such and stay read-only.
import { Badge, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useApi } from '../../api/api-context';
import type { ManagedExport, ManagedExportList, NasNode, StorageExport } from '../../api/types';
import { ConfirmModal } from '../../components/confirm-modal';
import { FormActions } from '../../components/form-actions';
import { notifyFailure, notifySuccess } from '../../lib/notify';

const MANAGED_TAG = 'managed:';

export function ManagedExports({ node, exports }: { node: NasNode; exports: readonly StorageExport[] }) {
  const api = useApi();
  const [list, setList] = useState<ManagedExportList | null>(null);
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<ManagedExport | null>(null);
  const [removing, setRemoving] = useState<ManagedExport | null>(null);

  const reload = useCallback(async () => {
    try {
      setList(await api.nas.listManagedExports(node.id));
    } catch (error) {
      notifyFailure(`Could not load the folders of ${node.displayName}`, error);
    }
  }, [api, node.id, node.displayName]);

  // The exports reload when the agent synced: that is when an added folder starts (or stops) being served.
  useEffect(() => {
    void exports;
    void reload();
  }, [reload, exports]);

  if (list === null) return null;
  const configured = exports.filter((item) => !item.tags.some((tag) => tag.startsWith(MANAGED_TAG)));

  return (
    <Stack gap={6} mt="sm" aria-label={`Folders of ${node.displayName}`} component="section">
      <Group justify="space-between" gap="xs">
        <Text size="sm" fw={600}>
          Exported folders
        </Text>
        {list.roots.length > 0 && (
          <Button size="compact-xs" variant="light" onClick={() => setAdding(true)}>
            Add folder
          </Button>
        )}
      </Group>
      {configured.map((item) => (
        <Group key={item.id} gap={6} wrap="nowrap">
          <Text size="sm" truncate="end" title={item.path}>
            {item.label}
          </Text>
          <Badge size="xs" variant="light" color="gray" tt="none">
            from configuration
          </Badge>
        </Group>
      ))}
      {list.exports.map((item) => (
        <Group key={item.id} gap={6} wrap="nowrap" justify="space-between">
          <Stack gap={0} miw={0}>
            <Text size="sm" truncate="end">
              {item.label}
            </Text>
            <Text
              size="xs"
              c="dimmed"
              ff="monospace"
              truncate="end"
              title={`${item.root}/${item.relativePath}`}
            >
              {item.root}/{item.relativePath}
            </Text>
            {item.exportId === null && (
              <Text size="xs" c="orange">
                Not served yet: waiting for the agent (if this stays, the agent refused the folder; see its
                log)
              </Text>
            )}
          </Stack>
          <Group gap={2} wrap="nowrap">
            <Button size="compact-xs" variant="subtle" onClick={() => setRenaming(item)}>
              Rename
            </Button>
            <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRemoving(item)}>
              Remove
            </Button>
          </Group>
        </Group>
      ))}
      {list.roots.length === 0 && (
        <Text size="xs" c="dimmed">
          To add folders here, set HOMEPORT_EXPORT_ROOTS on this node’s agent to the folders exports may be
          made in (for example /srv/nas) and restart it.
        </Text>
      )}
      <AddFolderModal
        opened={adding}
        node={node}
        roots={list.roots}
        onClose={() => setAdding(false)}
        onAdded={() => void reload()}
      />
      <RenameModal
        node={node}
        item={renaming}
        onClose={() => setRenaming(null)}
        onRenamed={() => void reload()}
      />
      <ConfirmModal
        opened={removing !== null}
        title={`Stop exporting ${removing?.label ?? ''}?`}
        confirmLabel="Stop exporting"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          try {
            await api.nas.removeManagedExport(node.id, removing.id);
            notifySuccess(`${removing.label} is no longer exported`);
            await reload();
          } catch (error) {
            notifyFailure(`Could not remove ${removing.label}`, error);
            throw error;
          }
        }}
      >
        <Text size="sm">
          Mounts, shares and links of this export stop working now. The folder and its files stay on the
          node’s disk ({removing ? `${removing.root}/${removing.relativePath}` : ''}); nothing is deleted.
        </Text>
      </ConfirmModal>
    </Stack>
  );
}

function AddFolderModal({
  opened,
  node,
  roots,
  onClose,
  onAdded,
}: {
  opened: boolean;
  node: NasNode;
  roots: readonly string[];
  onClose: () => void;
  onAdded: () => void;
}) {
  const api = useApi();
  const [root, setRoot] = useState<string | null>(roots[0] ?? null);
  const [relativePath, setRelativePath] = useState('');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (root === null) return;
    setBusy(true);
    try {
      const added = await api.nas.addManagedExport(node.id, {
        root,
        relativePath: relativePath.trim().replace(/^\/+|\/+$/g, ''),
        label: label.trim(),
      });
      notifySuccess(`${added.label} will be exported once ${node.displayName} applies it`);
      setRelativePath('');
      setLabel('');
      onAdded();
      onClose();
    } catch (error) {
      notifyFailure('Could not add the folder', error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={`Add a folder on ${node.displayName}`} centered>
      <form onSubmit={(event) => void submit(event)}>
        <Stack gap="sm">
          <Select
            label="Root"
            description="One of the folders this node’s agent allows exports in"
            data={roots.map((item) => ({ value: item, label: item }))}
            value={root}
            onChange={setRoot}
            allowDeselect={false}
            required
          />
          <TextInput
            label="Folder"
            description="Inside the root, like photos/2026; made if missing"
            value={relativePath}
            onChange={(event) => setRelativePath(event.currentTarget.value)}
            required
            maxLength={1024}
          />
          <TextInput
            label="Label"
            description="The name people see"
            value={label}
            onChange={(event) => setLabel(event.currentTarget.value)}
            required
            maxLength={128}
          />
          <FormActions submitLabel="Add folder" pending={busy} onCancel={onClose} />
        </Stack>
      </form>
    </Modal>
  );
}

function RenameModal({
  node,
  item,
  onClose,
  onRenamed,
}: {
  node: NasNode;
  item: ManagedExport | null;
  onClose: () => void;
  onRenamed: () => void;
}) {
  const api = useApi();
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setLabel(item?.label ?? ''), [item]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!item) return;
    setBusy(true);
    try {
      await api.nas.renameManagedExport(node.id, item.id, label.trim());
      notifySuccess(`Renamed to ${label.trim()}`);
      onRenamed();
      onClose();
    } catch (error) {
      notifyFailure(`Could not rename ${item.label}`, error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={item !== null} onClose={onClose} title={`Rename ${item?.label ?? ''}`} centered>
      <form onSubmit={(event) => void submit(event)}>
        <Stack gap="sm">
          <TextInput
            label="Label"
            description="Mounts, shares and credentials keep working"
            value={label}
            onChange={(event) => setLabel(event.currentTarget.value)}
            required
            maxLength={128}
          />
          <FormActions submitLabel="Rename" pending={busy} onCancel={onClose} />
        </Stack>
      </form>
    </Modal>
  );
}
