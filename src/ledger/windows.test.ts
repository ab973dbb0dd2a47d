import { describe, expect, it } from 'vitest';
import { bucketLabel, parseScopeKey, scopeKey, windowEnd, windowStart } from './windows.js';
import type { ScopeWindow } from './types.js';

const at = (iso: string): number => Date.parse(iso);

describe('windowStart', () => {
  const cases: ReadonlyArray<[ScopeWindow, string, string | null]> = [
    ['none', '2026-11-29T13:45:12.345Z', null],
    ['1h', '2026-11-29T13:45:12.345Z', '2026-11-29T13:00:00.000Z'],
    ['1h', '2026-11-29T13:00:00.000Z', '2026-11-29T13:00:00.000Z'],
    ['1h', '2026-11-29T12:59:59.999Z', '2026-11-29T12:00:00.000Z'],
    ['1d', '2026-11-29T23:59:59.999Z', '2026-11-29T00:00:00.000Z'],
    ['1d', '2026-11-30T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    // 7d buckets are counted from the epoch (a Thursday): 2026-11-26 is a Thursday.
    ['7d', '2026-11-29T13:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    ['7d', '2026-12-02T23:59:59.999Z', '2026-11-26T00:00:00.000Z'],
    ['7d', '2026-12-03T00:00:00.000Z', '2026-12-03T00:00:00.000Z'],
    ['7d', '1970-01-07T23:59:59.999Z', '1970-01-01T00:00:00.000Z'],
    ['30d', '1970-01-31T00:00:00.000Z', '1970-01-31T00:00:00.000Z'],
    ['30d', '1970-01-30T23:59:59.999Z', '1970-01-01T00:00:00.000Z'],
    ['month', '2026-11-29T13:00:00.000Z', '2026-11-01T00:00:00.000Z'],
    ['month', '2026-12-31T23:59:59.999Z', '2026-12-01T00:00:00.000Z'],
    ['month', '2028-02-29T12:00:00.000Z', '2028-02-01T00:00:00.000Z'],
  ];
  it.each(cases)('%s at %s starts at %s', (window, now, expected) => {
    expect(windowStart(window, at(now))).toBe(expected === null ? null : at(expected));
  });

  it('30d buckets are 30 days long and epoch aligned', () => {
    const start = windowStart('30d', at('2026-11-29T13:00:00.000Z'));
    expect(start).not.toBeNull();
    expect((start ?? 1) % (30 * 86_400_000)).toBe(0);
    expect(windowEnd('30d', at('2026-11-29T13:00:00.000Z'))).toBe((start ?? 0) + 30 * 86_400_000);
  });
});

describe('windowEnd', () => {
  const cases: ReadonlyArray<[ScopeWindow, string, string | null]> = [
    ['none', '2026-11-29T13:45:00.000Z', null],
    ['1h', '2026-11-29T13:45:00.000Z', '2026-11-29T14:00:00.000Z'],
    ['1d', '2026-11-29T13:45:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['month', '2026-12-15T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2028-02-10T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
  ];
  it.each(cases)('%s at %s ends at %s', (window, now, expected) => {
    expect(windowEnd(window, at(now))).toBe(expected === null ? null : at(expected));
  });
});

describe('scopeKey', () => {
  const now = at('2026-11-29T13:45:12.345Z');
  const cases: ReadonlyArray<[Parameters<typeof scopeKey>[0], string]> = [
    [{ type: 'run', id: 'run_01J', window: 'none' }, 'run|none|-|run_01J'],
    [{ type: 'key', id: 'k_alice', window: '1d' }, 'key|1d|2026-11-29|k_alice'],
    [{ type: 'key', id: 'k_alice', window: '1h' }, 'key|1h|2026-11-29T13|k_alice'],
    [{ type: 'user', id: 'alice', window: '7d' }, 'user|7d|2026-11-26|alice'],
    [{ type: 'team', id: 'research', window: 'month' }, 'team|month|2026-11|research'],
    [{ type: 'run', id: 'a:b:1d:2026-11-29', window: 'none' }, 'run|none|-|a:b:1d:2026-11-29'],
    [{ type: 'feature', id: 'x|1d|y', window: 'none' }, 'feature|none|-|x|1d|y'],
  ];
  it.each(cases)('%o -> %s', (spec, expected) => {
    expect(scopeKey(spec, now)).toBe(expected);
    expect(parseScopeKey(expected)).toEqual({
      type: spec.type,
      window: spec.window,
      bucket: expected.split('|')[2],
      id: spec.id,
    });
  });

  it('ids that look like windows do not collide with windowed scopes', () => {
    const windowed = scopeKey({ type: 'key', id: 'k', window: '1d' }, now);
    const lookalike = scopeKey({ type: 'key', id: `k:1d:2026-11-29`, window: 'none' }, now);
    const pipeLookalike = scopeKey({ type: 'key', id: `1d|2026-11-29|k`, window: 'none' }, now);
    expect(new Set([windowed, lookalike, pipeLookalike]).size).toBe(3);
  });

  it('rolls over to a new key when the bucket changes', () => {
    const spec = { type: 'key', id: 'k', window: '1h' } as const;
    expect(scopeKey(spec, at('2026-11-29T13:59:59.999Z'))).not.toBe(scopeKey(spec, at('2026-11-29T14:00:00.000Z')));
    expect(scopeKey(spec, at('2026-11-29T13:00:00.000Z'))).toBe(scopeKey(spec, at('2026-11-29T13:59:59.999Z')));
  });

  it('parseScopeKey rejects non-keys', () => {
    expect(parseScopeKey('run:abc')).toBeNull();
    expect(parseScopeKey('nope|none|-|x')).toBeNull();
    expect(parseScopeKey('run|2h|-|x')).toBeNull();
  });

  it('bucketLabel of none is "-"', () => {
    expect(bucketLabel('none', null)).toBe('-');
  });
});
