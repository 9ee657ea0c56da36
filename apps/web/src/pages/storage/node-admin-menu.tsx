// An admin's actions on a node: re-enrol its machine (a one-time token), rotate its credential key, forget it.
// A betterNAS agent never fetches revocations, so for its node the menu says that credentials outlive them.
import { Button, Menu, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useApi } from '../../api/api-context';
import type { EnrolmentToken, NasNode } from '../../api/types';
import { ConfirmModal } from '../../components/confirm-modal';
import { formatDateTime } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import { CopyField, CopySnippet } from './copy-controls';
import { BETTERNAS_CREDENTIALS_NOTE } from './node-liveness';

type Pending = 'rotate' | 'forget';

export function NodeAdminMenu({ node, onRemoved }: { node: NasNode; onRemoved: () => void }) {
  const api = useApi();
  const betternas = node.agentKind === 'betternas';
  const [busy, setBusy] = useState(false);
  const [enrolment, setEnrolment] = useState<EnrolmentToken | null>(null);
  // Kept after closing so the dialog's text does not vanish during its closing animation.
  const [pending, setPending] = useState<Pending>('rotate');
  const [confirmOpen, setConfirmOpen] = useState(false);
  const ask = (what: Pending) => {
    setPending(what);
    setConfirmOpen(true);
  };

  const reEnrol = async () => {
    setBusy(true);
    try {
      setEnrolment(await api.nas.issueEnrolmentToken(node.id));
    } catch (error) {
      notifyFailure(`Could not issue a re-enrolment token for ${node.displayName}`, error);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    try {
      if (pending === 'rotate') {
        const revoked = await api.nas.rotateNodeKey(node.id);
        notifySuccess(
          betternas
            ? `New key for ${node.displayName}; ${revoked} mount credential(s) revoked, valid on the machine until they expire`
            : `New key for ${node.displayName}; ${revoked} mount credential(s) ended`,
        );
      } else {
        await api.nas.removeNode(node.id);
        notifySuccess(`${node.displayName} was forgotten`);
        onRemoved();
      }
    } catch (error) {
      notifyFailure(`Could not change ${node.displayName}`, error);
      throw error;
    }
  };

  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button
            variant="subtle"
            size="xs"
            loading={busy}
            aria-label={`Actions for node ${node.displayName}`}
          >
            Actions
          </Button>
        </Menu.Target>
        <Menu.Dropdown maw={300}>
          {betternas && (
            <>
              <Menu.Label style={{ whiteSpace: 'normal' }}>
                betterNAS agent. {BETTERNAS_CREDENTIALS_NOTE}
              </Menu.Label>
              <Menu.Divider />
            </>
          )}
          <Menu.Item onClick={() => void reEnrol()}>Re-enrol machine…</Menu.Item>
          {/* A betterNAS agent verifies with the shared secret: its node has no key to rotate. */}
          {!betternas && <Menu.Item onClick={() => ask('rotate')}>Rotate credential key…</Menu.Item>}
          <Menu.Item color="red" onClick={() => ask('forget')}>
            Forget node…
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <ConfirmModal
        opened={confirmOpen}
        title={
          pending === 'rotate' ? `Rotate the key of ${node.displayName}?` : `Forget ${node.displayName}?`
        }
        confirmLabel={pending === 'rotate' ? 'Rotate key' : 'Forget node'}
        onConfirm={confirm}
        onClose={() => setConfirmOpen(false)}
      >
        <Text size="sm">
          {pending === 'rotate'
            ? 'Every mount credential issued for this node stops working now; people mount again to get a new one. Do this if you think the node’s key leaked.'
            : 'Its exports, who they were shared with, and every mount credential for it go. If its agent still runs it cannot come back with its old token; it can join again as a new node with the bootstrap token after a fresh start (an empty state folder).'}
        </Text>
      </ConfirmModal>
      <Modal
        opened={enrolment !== null}
        onClose={() => setEnrolment(null)}
        title={`Re-enrol ${node.displayName}`}
        centered
        size="lg"
      >
        {enrolment && (
          <Stack gap="md">
            <Text size="sm">
              On the machine, start the agent once with this token in place of the bootstrap token. It works
              once, until {formatDateTime(enrolment.expiresAt)}. The node keeps its exports and shares; its
              old token, and every credential issued before, stop working.
            </Text>
            <CopyField label="Re-enrolment token" value={enrolment.token} secret />
            <CopySnippet
              what="command"
              code={`HOMEPORT_NODE_BOOTSTRAP_TOKEN='${enrolment.token}' \\\n  homeport agent --machine-id ${node.machineId ?? '<machine id>'} …`}
            />
          </Stack>
        )}
      </Modal>
    </>
  );
}
