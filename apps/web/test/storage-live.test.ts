// Live storage events: payloads from the stream checked before use, node status applied in place.
import { describe, expect, it } from 'vitest';
import type { NasNode } from '../src/api/types';
import {
  applyNodeStatus,
  parseExportsSynced,
  parseNodeStatusChange,
} from '../src/pages/storage/live-storage';

const node = (id: string, status: NasNode['status'] = 'online'): NasNode => ({
  id,
  agentKind: 'homeport',
  machineId: `m-${id}`,
  displayName: id,
  agentVersion: '0.1.0',
  status,
  lastSeenAt: '2026-01-01T00:00:00.000Z',
  directAddress: 'http://192.168.1.20:8090',
  relayAddress: null,
});

describe('parseNodeStatusChange', () => {
  it('accepts what the server publishes on node.status', () => {
    expect(
      parseNodeStatusChange({ nodeId: 'node_1', status: 'degraded', lastSeenAt: '2026-01-01T00:01:00Z' }),
    ).toEqual({ nodeId: 'node_1', status: 'degraded', lastSeenAt: '2026-01-01T00:01:00Z' });
  });

  it('ignores payloads of another shape or with an unknown status', () => {
    expect(parseNodeStatusChange(null)).toBeUndefined();
    expect(parseNodeStatusChange('node_1')).toBeUndefined();
    expect(parseNodeStatusChange({ nodeId: 'node_1', status: 'exploded', lastSeenAt: '' })).toBeUndefined();
    expect(parseNodeStatusChange({ nodeId: 1, status: 'online', lastSeenAt: '' })).toBeUndefined();
    expect(parseNodeStatusChange({ nodeId: 'node_1', status: 'online' })).toBeUndefined();
  });
});

describe('parseExportsSynced', () => {
  it('reads the node id of exports.synced', () => {
    expect(parseExportsSynced({ nodeId: 'node_1', count: 2 })).toEqual({ nodeId: 'node_1' });
    expect(parseExportsSynced({ count: 2 })).toBeUndefined();
  });
});

describe('applyNodeStatus', () => {
  it('replaces the status and last-seen time of that node only', () => {
    const nodes = [node('a'), node('b')];
    const next = applyNodeStatus(nodes, {
      nodeId: 'b',
      status: 'offline',
      lastSeenAt: '2026-01-01T00:05:00Z',
    });

    expect(next.map((n) => n.status)).toEqual(['online', 'offline']);
    expect(next[1]?.lastSeenAt).toBe('2026-01-01T00:05:00Z');
    expect(next[0]).toBe(nodes[0]);
    expect(nodes[1]?.status).toBe('online');
  });

  it('returns the same list for a node it does not have, so the page knows to reload', () => {
    const nodes = [node('a')];
    expect(applyNodeStatus(nodes, { nodeId: 'new', status: 'online', lastSeenAt: '' })).toBe(nodes);
  });
});
