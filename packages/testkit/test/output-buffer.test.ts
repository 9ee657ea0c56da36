// The bounded output buffer and the line splitter that readiness checks read from.

import { describe, expect, it } from 'vitest';
import { LineSplitter, OutputBuffer } from '../src/process/output-buffer.js';

describe('OutputBuffer', () => {
  it('keeps everything under its limit', () => {
    const buffer = new OutputBuffer(100);
    buffer.append('one\n');
    buffer.append('two\n');
    expect(buffer.text()).toBe('one\ntwo\n');
  });

  it('drops the oldest chunks past its limit and says so', () => {
    const buffer = new OutputBuffer(10);
    buffer.append('aaaaaaaa');
    buffer.append('bbbbbbbb');
    expect(buffer.text()).toBe('[… 8 earlier characters dropped …]\nbbbbbbbb');
  });

  it('keeps the tail of a single chunk larger than the limit', () => {
    const buffer = new OutputBuffer(4);
    buffer.append('0123456789');
    expect(buffer.text()).toBe('[… 6 earlier characters dropped …]\n6789');
  });
});

describe('LineSplitter', () => {
  it('joins a line written in pieces and strips CR', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('first\r\nsec');
    splitter.push('ond\nthi');
    expect(lines).toEqual(['first', 'second']);
    splitter.flush();
    expect(lines).toEqual(['first', 'second', 'thi']);
  });
});
