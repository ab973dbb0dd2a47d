// The runs an instance remembers to skip opening them (docs/ledger-redis.md "Round trips of one
// call"): found only for the key that opened them and a parent header that names their own parent;
// per tenant; bounded, oldest out first.
import { describe, expect, it } from 'vitest';
import { createKnownRuns, type KnownRun } from './known-runs.js';

const run = (runId: string, parentRunId: string | null = null, keyId = 'key_a'): KnownRun => ({
  tenant: 't',
  runId,
  keyId,
  limitMicros: 1_000_000,
  state: 'open',
  tags: {},
  idleTtlMs: 60_000,
  createdAtMs: 0,
  lastActivityAtMs: 0,
  closedAtMs: null,
  parentRunId,
  depth: parentRunId === null ? 0 : 1,
  ancestors: parentRunId === null ? [] : [{ runId: parentRunId, limitMicros: 5_000_000, state: 'open' }],
});

describe('createKnownRuns', () => {
  it('finds a run for the key that opened it, in its tenant only', () => {
    const known = createKnownRuns();
    known.set('t', run('r1'));
    expect(known.get('t', 'r1', 'key_a', null)?.runId).toBe('r1');
    expect(known.get('t', 'r1', 'key_b', null)).toBeUndefined();
    expect(known.get('other', 'r1', 'key_a', null)).toBeUndefined();
    expect(known.get('t', 'r2', 'key_a', null)).toBeUndefined();
  });

  it('a parent header must name the run its own parent (any other goes through opening and its refusal)', () => {
    const known = createKnownRuns();
    known.set('t', run('child', 'parent'));
    expect(known.get('t', 'child', 'key_a', null)?.ancestors).toHaveLength(1);
    expect(known.get('t', 'child', 'key_a', 'parent')?.runId).toBe('child');
    expect(known.get('t', 'child', 'key_a', 'someone-else')).toBeUndefined();
    known.set('t', run('root'));
    expect(known.get('t', 'root', 'key_a', 'parent')).toBeUndefined();
  });

  it('forgets a run, and keeps at most its limit (the least recently stored goes first)', () => {
    const known = createKnownRuns(2);
    known.set('t', run('a'));
    known.set('t', run('b'));
    known.set('t', run('a'));
    known.set('t', run('c'));
    expect(known.get('t', 'b', 'key_a', null)).toBeUndefined();
    expect(known.get('t', 'a', 'key_a', null)?.runId).toBe('a');
    known.forget('t', 'a');
    expect(known.get('t', 'a', 'key_a', null)).toBeUndefined();
    expect(known.get('t', 'c', 'key_a', null)?.runId).toBe('c');
  });
});
