import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRecordQueue, HOLD_MS } from './record-queue.js';
import type { StoredDecision } from './records.js';

const decision = (id: string): StoredDecision => ({ id, tenant: 't', keyId: 'k', createdAtMs: 1, record: { id } });

describe('decision record queue', () => {
  let nowMs = 0;
  const clock = (): number => nowMs;
  beforeEach(() => {
    vi.useFakeTimers();
    nowMs = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds a record until its settlement arrives, then the two are one ready write', () => {
    const wake = vi.fn();
    const queue = createRecordQueue<string>(wake, clock);
    queue.put('a', decision('a'), '{"id":"a"}');
    expect(queue.due()).toBe(false);
    expect([...queue.take(false).keys()]).toEqual([]);
    nowMs += HOLD_MS / 2;
    queue.patch('a', { state: 'settled' });
    queue.patch('a', { actual_usd: '0.01' });
    expect(queue.due()).toBe(true);
    const taken = queue.take(false);
    expect([...taken.entries()]).toEqual([
      ['a', { decision: decision('a'), encoded: '{"id":"a"}', patch: { state: 'settled', actual_usd: '0.01' } }],
    ]);
    queue.written();
    expect(queue.size).toBe(0);
    vi.advanceTimersByTime(HOLD_MS * 2);
    expect(wake).not.toHaveBeenCalled();
  });

  it('a record without a settlement is due after HOLD_MS, and its timer wakes the writer', () => {
    const wake = vi.fn();
    const queue = createRecordQueue<string>(wake, clock);
    queue.put('a', decision('a'), '{}');
    nowMs += 10;
    queue.put('b', decision('b'), '{}');
    nowMs = HOLD_MS - 1;
    vi.advanceTimersByTime(HOLD_MS - 1);
    expect(wake).not.toHaveBeenCalled();
    nowMs = HOLD_MS;
    vi.advanceTimersByTime(1);
    expect(wake).toHaveBeenCalledTimes(1);
    // Only the record that waited HOLD_MS goes; the younger one keeps waiting, with a timer of its own.
    expect([...queue.take(false).keys()]).toEqual(['a']);
    queue.written();
    nowMs = HOLD_MS + 10;
    vi.advanceTimersByTime(10);
    expect(wake).toHaveBeenCalledTimes(2);
    expect([...queue.take(false).keys()]).toEqual(['b']);
  });

  it('a settlement of a record already written, or one that came first, is ready at once', () => {
    const queue = createRecordQueue<string>(() => undefined, clock);
    queue.patch('old', { state: 'expired' });
    queue.patch('first', { state: 'settled' });
    queue.put('first', decision('first'), '{}');
    const taken = queue.take(false);
    expect(taken.get('old')).toEqual({ decision: null, encoded: null, patch: { state: 'expired' } });
    expect(taken.get('first')).toEqual({ decision: decision('first'), encoded: '{}', patch: { state: 'settled' } });
  });

  it('take(true) takes every queued record (a reader, a prune, close); drop() forgets them all', () => {
    const queue = createRecordQueue<string>(() => undefined, clock);
    queue.put('a', decision('a'), '{}');
    queue.put('b', decision('b'), '{}');
    expect([...queue.take(true).keys()]).toEqual(['a', 'b']);
    // Not written (the transaction failed): still queued, and taken again.
    queue.put('c', decision('c'), '{}');
    expect(queue.size).toBe(3);
    expect(queue.drop()).toBe(3);
    expect(queue.size).toBe(0);
  });
});
