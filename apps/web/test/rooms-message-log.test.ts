// The open room's message log: pages and live messages merged in order, each message once.
import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../src/pages/rooms/api/bus-types';
import {
  EMPTY_LOG,
  newestId,
  oldestId,
  withEarlierPage,
  withLatestPage,
  withMessage,
} from '../src/pages/rooms/message-log';

const m = (id: string): RoomMessage => ({ id, sender: 's', handle: 'h', body: id, ts: 0, mine: false });
const ids = (messages: readonly RoomMessage[]) => messages.map((message) => message.id);

describe('message log', () => {
  it('keeps live messages that arrived before the first page, after it and without duplicates', () => {
    const live = withMessage(withMessage(EMPTY_LOG, m('04')), m('05'));
    const log = withLatestPage(live, [m('02'), m('03'), m('04')], 3);
    expect(ids(log.messages)).toEqual(['02', '03', '04', '05']);
    expect(log.complete).toBe(false);
  });

  it('puts an earlier page in front and knows when the start is reached', () => {
    let log = withLatestPage(EMPTY_LOG, [m('03'), m('04')], 2);
    log = withEarlierPage(log, [m('01'), m('02'), m('03')], 5);
    expect(ids(log.messages)).toEqual(['01', '02', '03', '04']);
    expect(log.complete).toBe(true);
    expect(oldestId(log)).toBe('01');
    expect(newestId(log)).toBe('04');
  });

  it('ignores a message it has (an echo after a resumed stream)', () => {
    const log = withLatestPage(EMPTY_LOG, [m('01')], 50);
    expect(withMessage(log, m('01'))).toBe(log);
  });
});
