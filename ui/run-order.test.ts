import { describe, expect, it } from 'vitest';
import { filterRuns, sortRuns } from './run-order.js';
import type { RunSummary } from './types.js';

function run(id: string, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    tenant: 'default',
    key_id: 'key_a',
    state: 'open',
    active: true,
    limit_usd: '1.00',
    parent_run_id: null,
    depth: 0,
    tags: {},
    created_at: '2026-12-01T00:00:00.000Z',
    last_activity_at: '2026-12-01T00:00:00.000Z',
    idle_expires_at: '2026-12-01T01:00:00.000Z',
    closed_at: null,
    committed_usd: '0.00',
    reserved_usd: '0.00',
    calls: 0,
    models_used: [],
    ...extra,
  };
}

const RUNS = [
  run('alpha', { committed_usd: '0.50', limit_usd: '1.00', calls: 3, last_activity_at: '2026-12-01T00:03:00.000Z' }),
  run('beta', {
    committed_usd: '0.09',
    reserved_usd: '0.01',
    limit_usd: '0.10',
    calls: 9,
    tags: { ticket: 'ENG-7' },
    models_used: [{ model: 'gpt-4o-mini', calls: 9, cost_usd: '0.09' }],
    last_activity_at: '2026-12-01T00:01:00.000Z',
  }),
  run('gamma', { state: 'closed', active: false, key_id: 'key_b', last_activity_at: '2026-12-01T00:02:00.000Z' }),
  run('delta', { active: false, committed_usd: '2.000001', limit_usd: '2.00' }),
];

const ids = (runs: readonly RunSummary[]): string[] => runs.map((r) => r.id);

describe('sorting and filtering the runs view', () => {
  it('sorts by how close each run is to its ceiling, exactly (integer shares, not floats)', () => {
    expect(ids(sortRuns(RUNS, 'spend', 'desc'))).toEqual(['delta', 'beta', 'alpha', 'gamma']);
    expect(ids(sortRuns(RUNS, 'spend', 'asc'))).toEqual(['gamma', 'alpha', 'beta', 'delta']);
  });

  it('sorts by activity, calls, id and state (active, idle, closed)', () => {
    expect(ids(sortRuns(RUNS, 'activity', 'desc'))).toEqual(['alpha', 'gamma', 'beta', 'delta']);
    expect(ids(sortRuns(RUNS, 'calls', 'desc'))).toEqual(['beta', 'alpha', 'gamma', 'delta']);
    expect(ids(sortRuns(RUNS, 'id', 'asc'))).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(ids(sortRuns(RUNS, 'state', 'desc'))).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  });

  it('filters by state and by every word appearing in id, key, tags or models', () => {
    expect(ids(filterRuns(RUNS, { text: '', state: 'closed' }))).toEqual(['gamma']);
    expect(ids(filterRuns(RUNS, { text: '', state: 'active' }))).toEqual(['alpha', 'beta']);
    expect(ids(filterRuns(RUNS, { text: '', state: 'open' }))).toEqual(['alpha', 'beta', 'delta']);
    expect(ids(filterRuns(RUNS, { text: 'MINI eng-7', state: 'all' }))).toEqual(['beta']);
    expect(ids(filterRuns(RUNS, { text: 'key_b', state: 'all' }))).toEqual(['gamma']);
    expect(ids(filterRuns(RUNS, { text: 'nothing-like-this', state: 'all' }))).toEqual([]);
  });
});
