// How the Storage page words a node's liveness per agent kind (heartbeats for Homeport's agent, the one report
// of a betterNAS agent), the Share dialog's access choices, and what members subscribe to.
import { describe, expect, it } from 'vitest';
import { grantAccessLabel, grantChangedMessage, isGrantAccess } from '../src/pages/storage/grant-access';
import { memberStorageTopics } from '../src/pages/storage/live-storage';
import {
  agentName,
  BETTERNAS_LIVENESS_NOTE,
  describeLiveness,
  statusHint,
} from '../src/pages/storage/node-liveness';

const now = Date.parse('2026-03-01T12:00:00Z');

describe('describeLiveness', () => {
  it('shows a Homeport node its last heartbeat, with no note', () => {
    const liveness = describeLiveness({ agentKind: 'homeport', lastSeenAt: '2026-03-01T11:59:35Z' }, now);
    expect(liveness.label).toBe('Last heartbeat');
    expect(liveness.ago).toMatch(/25 seconds ago/);
    expect(liveness.at).not.toBe('Never');
    expect(liveness.note).toBeUndefined();
  });

  it('shows a betterNAS node when it reported, and why its status does not age', () => {
    const liveness = describeLiveness({ agentKind: 'betternas', lastSeenAt: '2026-03-01T09:00:00Z' }, now);
    expect(liveness.label).toBe('Reported');
    expect(liveness.ago).toMatch(/3 hours ago/);
    expect(liveness.note).toBe(BETTERNAS_LIVENESS_NOTE);
    expect(liveness.note).toMatch(/report once, at start/);
    expect(liveness.note).toMatch(/does not mark them offline by age/);
  });

  it('says never for a node that never reported (the server sends an empty time)', () => {
    for (const agentKind of ['homeport', 'betternas'] as const) {
      const liveness = describeLiveness({ agentKind, lastSeenAt: '' }, now);
      expect(liveness.ago).toBe('Never');
      expect(liveness.at).toBe('Never');
    }
  });
});

describe('statusHint', () => {
  it('rests a Homeport status on heartbeats', () => {
    expect(statusHint('online', 'homeport')).toBe('Heartbeats arrive on time');
    expect(statusHint('degraded', 'homeport')).toMatch(/late/);
    expect(statusHint('offline', 'homeport')).toMatch(/cannot be mounted/);
  });

  it('calls a betterNAS status what the agent reported, never aged out', () => {
    expect(statusHint('online', 'betternas')).toBe(
      `Reported online by its betterNAS agent. ${BETTERNAS_LIVENESS_NOTE}`,
    );
    expect(statusHint('offline', 'betternas')).toMatch(/^Reported offline .*cannot be mounted now\. /);
    expect(statusHint('degraded', 'betternas')).not.toMatch(/late/);
  });

  it('names the agent', () => {
    expect(agentName('homeport')).toBe('Homeport agent');
    expect(agentName('betternas')).toBe('betterNAS agent');
  });
});

describe('grant access', () => {
  it('has "No access" besides read-only and read-write', () => {
    expect(grantAccessLabel('none')).toBe('No access');
    expect(grantAccessLabel('read-only')).toBe('Read-only');
    expect(isGrantAccess('none')).toBe(true);
    expect(isGrantAccess('toString')).toBe(false);
    expect(isGrantAccess('write')).toBe(false);
  });

  it('says a hidden export lost its credentials too', () => {
    expect(grantChangedMessage('mia', 'Files', 'none')).toBe(
      'Files is now hidden from mia; their mount credentials were revoked',
    );
    expect(grantChangedMessage('mia', 'Files', 'read-write')).toBe('mia now has read-write access to Files');
  });
});

describe('memberStorageTopics', () => {
  it('follows their own shares and the exports every member sees by default', () => {
    expect(memberStorageTopics('usr_1')).toEqual(['nas.shares.usr_1', 'nas.shared']);
  });
});
