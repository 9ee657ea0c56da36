// /storage: storage nodes with live status, the exports they hold with their free space, the Mount and
// Share dialogs, and the signed-in person's own mount credentials.
import { Group, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../api/api-context';
import { useEvents } from '../../api/events';
import type { NasNode, StorageExport } from '../../api/types';
import { useCurrentUser } from '../../auth/auth-context';
import { AsyncContent } from '../../components/async-content';
import { ConfirmModal } from '../../components/confirm-modal';
import { LiveDataHint } from '../../components/live-data-hint';
import { PageHeader } from '../../components/page-header';
import { TableSkeleton } from '../../components/table-skeleton';
import { type AsyncData, useAsyncData } from '../../hooks/use-async-data';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import { AddNodeButton } from './add-node';
import { ExportsList } from './exports-list';
import {
  applyNodeStatus,
  memberStorageTopics,
  type NodeStatusChange,
  parseExportsSynced,
  parseNodeStatusChange,
  STORAGE_EVENT_TYPES,
  STORAGE_TOPICS,
} from './live-storage';
import { tabMountCredentials } from './mount-credential-store';
import { MountModal, type MountRequest } from './mount-modal';
import { NodeCards } from './node-cards';
import { OwnCredentials } from './own-credentials';
import { ShareModal } from './share-modal';
import { NoExports, NoNodes, NothingShared } from './storage-empty';

interface Storage {
  nodes: readonly NasNode[];
  exports: readonly StorageExport[];
}

export default function StoragePage() {
  const api = useApi();
  const user = useCurrentUser();
  const isAdmin = user.role === 'admin';
  const nodes = useAsyncData(useCallback((signal: AbortSignal) => api.nas.listNodes({ signal }), [api]));
  const exports = useAsyncData(useCallback((signal: AbortSignal) => api.nas.listExports({ signal }), [api]));
  const ownCredentials = useAsyncData(
    useCallback((signal: AbortSignal) => api.nas.listMyCredentials({ signal }), [api]),
  );
  const liveNodes = useLiveNodeStatus(nodes.data);
  const storage = combine(nodes, exports, liveNodes.nodes);

  useEvents(
    isAdmin ? STORAGE_TOPICS : memberStorageTopics(user.id),
    (event) => {
      if (event.type === 'shares.changed') {
        storage.reload();
      } else if (event.type === 'node.status') {
        const change = parseNodeStatusChange(event.data);
        // A node the list does not have yet has just registered (or was just shared): load it.
        if (change && !liveNodes.apply(change)) nodes.reload();
      } else if (event.type === 'node.removed') {
        storage.reload();
      } else if (event.type === 'exports.space') {
        exports.reload();
      } else if (event.type === 'exports.synced') {
        exports.reload();
        const synced = parseExportsSynced(event.data);
        if (synced && !nodes.data?.some((node) => node.id === synced.nodeId)) nodes.reload();
      }
    },
    {
      types: STORAGE_EVENT_TYPES,
      onReconnect: () => {
        storage.reload();
        ownCredentials.reload();
      },
    },
  );

  const [mount, setMount] = useState<MountRequest | null>(null);
  const [mountOpen, setMountOpen] = useState(false);
  const [sharing, setSharing] = useState<StorageExport | null>(null);
  const [shareOpen, setShareOpen] = useState(false);
  const [revoking, setRevoking] = useState<StorageExport | null>(null);
  const [revokeOpen, setRevokeOpen] = useState(false);

  const openMount = (exportItem: StorageExport) => {
    const node = storage.data?.nodes.find((candidate) => candidate.id === exportItem.nasNodeId);
    setMount((previous) => ({ exportItem, node, key: (previous?.key ?? 0) + 1 }));
    setMountOpen(true);
  };

  const revokingOnBetterNas =
    storage.data?.nodes.find((node) => node.id === revoking?.nasNodeId)?.agentKind === 'betternas';

  const revokeCredentials = async () => {
    if (!revoking) return;
    try {
      const count = await api.nas.revokeMountCredentials({ exportId: revoking.id });
      ownCredentials.reload();
      notifySuccess(
        count === 0
          ? `${revoking.label} had no mount credentials in use`
          : `Revoked ${count} mount ${count === 1 ? 'credential' : 'credentials'} for ${revoking.label}`,
      );
    } catch (error) {
      notifyFailure('Could not revoke the mount credentials', error);
      throw error;
    }
  };

  return (
    <>
      <PageHeader
        title="Storage"
        description={
          isAdmin
            ? 'Machines running a Homeport or betterNAS agent, the folders they export, and who may mount them.'
            : 'Folders shared with you, and how to mount them on your computer.'
        }
      />
      <AsyncContent
        result={storage}
        errorTitle="Could not load storage"
        skeleton={<StorageSkeleton />}
        isEmpty={(data) => (isAdmin ? data.nodes.length === 0 : data.exports.length === 0)}
        empty={isAdmin ? <NoNodes /> : <NothingShared />}
      >
        {(data) => (
          <Stack gap="xl">
            <Stack gap="sm" component="section" aria-labelledby="storage-nodes">
              <Group justify="space-between" gap="xs">
                <Group gap="xs">
                  <Title order={2} size="h4" id="storage-nodes">
                    Nodes
                  </Title>
                  <LiveDataHint />
                </Group>
                {isAdmin && <AddNodeButton />}
              </Group>
              <NodeCards
                nodes={data.nodes}
                exports={data.exports}
                isAdmin={isAdmin}
                onRemoved={storage.reload}
              />
            </Stack>
            <Stack gap="sm" component="section" aria-labelledby="storage-exports">
              <Title order={2} size="h4" id="storage-exports">
                Exports
              </Title>
              {data.exports.length === 0 ? (
                <NoExports />
              ) : (
                <>
                  <Text size="sm" c="dimmed">
                    Mount gives you a WebDAV address and a password that works for a limited time.
                  </Text>
                  <ExportsList
                    exports={data.exports}
                    nodes={data.nodes}
                    isAdmin={isAdmin}
                    onMount={openMount}
                    onShare={(item) => {
                      setSharing(item);
                      setShareOpen(true);
                    }}
                    onRevokeCredentials={(item) => {
                      setRevoking(item);
                      setRevokeOpen(true);
                    }}
                  />
                </>
              )}
            </Stack>
            <OwnCredentials credentials={ownCredentials} store={tabMountCredentials} />
          </Stack>
        )}
      </AsyncContent>
      <MountModal
        request={mount}
        opened={mountOpen}
        onClose={() => setMountOpen(false)}
        userId={user.id}
        onIssued={ownCredentials.reload}
        store={tabMountCredentials}
      />
      {isAdmin && (
        <>
          <ShareModal exportItem={sharing} opened={shareOpen} onClose={() => setShareOpen(false)} />
          <ConfirmModal
            opened={revokeOpen}
            title={`Revoke all mount credentials for ${revoking?.label ?? 'this export'}?`}
            confirmLabel="Revoke all"
            onConfirm={revokeCredentials}
            onClose={() => setRevokeOpen(false)}
          >
            <Text size="sm">
              {revokingOnBetterNas
                ? 'Homeport records them as revoked, but this export’s node runs a betterNAS agent, which never fetches revocations: computers that mounted it keep access until their credentials expire. Sharing stays as it is.'
                : 'Every computer that mounted this export with a credential issued so far loses access once the node next checks in (within its heartbeat interval). Sharing stays as it is: people can open Mount again to get a new credential.'}
            </Text>
          </ConfirmModal>
        </>
      )}
    </>
  );
}

/**
 * Node statuses from `node.status` events laid over the last loaded list. The overlay belongs to the
 * list it was made from, so a reload (which has the server's current statuses) replaces it.
 */
function useLiveNodeStatus(loaded: NasNode[] | undefined) {
  const [overlay, setOverlay] = useState<{ base: NasNode[]; nodes: readonly NasNode[] }>();
  const nodes = overlay && overlay.base === loaded ? overlay.nodes : loaded;
  /** False when the node is not in the list. */
  const apply = (change: NodeStatusChange): boolean => {
    if (!loaded?.some((node) => node.id === change.nodeId)) return false;
    setOverlay((previous) => {
      const current = previous && previous.base === loaded ? previous.nodes : loaded;
      return { base: loaded, nodes: applyNodeStatus(current, change) };
    });
    return true;
  };
  return { nodes, apply };
}

/** Both lists as one AsyncData: the page needs both to draw anything useful. */
function combine(
  nodes: AsyncData<NasNode[]>,
  exports: AsyncData<StorageExport[]>,
  liveNodes: readonly NasNode[] | undefined,
): AsyncData<Storage> {
  return {
    data: liveNodes && exports.data ? { nodes: liveNodes, exports: exports.data } : undefined,
    error: nodes.error ?? exports.error,
    loading: nodes.loading || exports.loading,
    reload: () => {
      nodes.reload();
      exports.reload();
    },
  };
}

function StorageSkeleton() {
  return (
    <Stack gap="xl">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md" aria-hidden>
        <Skeleton height={150} radius="md" />
        <Skeleton height={150} radius="md" visibleFrom="sm" />
      </SimpleGrid>
      <TableSkeleton rows={3} />
    </Stack>
  );
}
