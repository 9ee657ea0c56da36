// How this server runs the bus (Settings → Bus, admins): request authentication, TLS on the control plane
// and on the bus listener, where the bus keeps its data, replicas, and whether the data plane (NATS) is up.
import { Badge, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { BusStatus } from '../../rooms/api/bus-types';

const AUTH: Record<string, string> = {
  enforce: 'Every signed request is checked',
  soft: 'Bad signatures are logged, not refused (loopback only)',
  off: 'Signatures are not checked (loopback only)',
};

export function BusStatusView({ status }: { status: BusStatus }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md" verticalSpacing="sm" data-testid="bus-status">
      <Fact label="Request signatures" value={<Good ok={status.auth === 'enforce'}>{status.auth}</Good>}>
        {AUTH[status.auth] ?? ''}
      </Fact>
      <Fact
        label="Control plane TLS"
        value={<Good ok={status.controlTls}>{status.controlTls ? 'on' : 'off'}</Good>}
      >
        {status.controlTls
          ? 'HTTPS here or at a proxy in front'
          : 'Plain HTTP: keep it on loopback or a trusted LAN'}
      </Fact>
      <Fact label="Bus TLS" value={<Good ok={status.busTls}>{status.busTls ? 'on' : 'off'}</Good>}>
        {status.busTls ? 'NATS clients connect over TLS' : 'Members use the managed server’s loopback port'}
      </Fact>
      <Fact label="Data plane" value={<Good ok={status.dataPlane}>{status.dataPlane ? 'up' : 'down'}</Good>}>
        {status.dataPlane
          ? 'The managed nats-server carries the rooms'
          : 'No NATS account keys here: member credentials and kept history are unavailable'}
      </Fact>
      <Fact
        label="Store"
        value={
          <Badge variant="light" color="gray">
            {status.store === 'kv' ? 'JetStream KV' : status.store === 'sqlite' ? 'SQLite' : status.store}
          </Badge>
        }
      >
        Where the allowlist, rooms and sealed keys are kept
      </Fact>
      <Fact
        label="Replicas"
        value={
          <Badge variant="light" color="gray">
            {status.replicas}
          </Badge>
        }
      >
        {status.replicas > 1 ? 'Copies of the bus’s data across the cluster' : 'One copy'}
      </Fact>
    </SimpleGrid>
  );
}

function Fact({ label, value, children }: { label: string; value: ReactNode; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Group gap="xs" wrap="nowrap">
        <Text size="sm" fw={500}>
          {label}
        </Text>
        {value}
      </Group>
      <Text size="xs" c="dimmed">
        {children}
      </Text>
    </Stack>
  );
}

function Good({ ok, children }: { ok: boolean; children: ReactNode }) {
  return (
    <Badge variant="light" color={ok ? 'teal' : 'yellow'}>
      {children}
    </Badge>
  );
}
