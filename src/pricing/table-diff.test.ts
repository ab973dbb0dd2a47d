import { describe, expect, it } from 'vitest';
import { parsePriceTable } from './parse-table.js';
import { diffTables, renderDiff } from './table-diff.js';

const entry = (extra: Record<string, unknown>) => ({
  provider: 'openai',
  input: '1',
  output: '2',
  context_window: 1000,
  max_output_tokens: 100,
  ...extra,
});
const table = (version: string, models: Record<string, unknown>) =>
  parsePriceTable({ version, currency: 'USD', models }, version);

describe('diffTables', () => {
  const before = table('2026-01-01', {
    same: entry({}),
    cheaper: entry({ service_tiers: { priority: { input: '2', output: '4' } } }),
    gone: entry({}),
    'old-name': entry({}),
    limits: entry({}),
  });
  const after = table('2026-02-01', {
    same: entry({}),
    cheaper: entry({
      input: '0.5',
      service_tiers: { priority: { input: '1.5', output: '4' }, flex: { input: '0.25', output: '1' } },
    }),
    'new-name': entry({ aliases: ['old-name'] }),
    limits: entry({ context_window: 2000 }),
    fresh: entry({}),
  });
  const diff = diffTables(before, after);

  it('lists added, removed, repriced (every rate and tier) and otherwise changed models', () => {
    expect(diff.added).toEqual(['fresh']);
    expect(diff.removed).toEqual(['gone']);
    expect(diff.repriced).toEqual([
      {
        model: 'cheaper',
        changes: [
          { field: 'input', from: '1', to: '0.5' },
          { field: 'cached_input', from: '1', to: '0.5' },
          { field: 'cache_write', from: '1', to: '0.5' },
          { field: 'cache_write_1h', from: '2', to: '1' },
          { field: 'service_tiers.flex', from: null, to: 'priced' },
          { field: 'service_tiers.priority.input', from: '2', to: '1.5' },
          { field: 'service_tiers.priority.cached_input', from: '2', to: '1.5' },
          { field: 'service_tiers.priority.cache_write', from: '2', to: '1.5' },
          { field: 'service_tiers.priority.cache_write_1h', from: '4', to: '3' },
        ],
      },
    ]);
    expect(diff.changed).toEqual([
      { model: 'old-name', renamedTo: 'new-name', changes: [] },
      { model: 'limits', changes: [{ field: 'context_window', from: '1000', to: '2000' }] },
    ]);
  });

  it('renders one line per model', () => {
    expect(renderDiff(diff)).toEqual([
      'price table 2026-01-01 -> 2026-02-01',
      'added (1): fresh',
      'removed (1): gone',
      'repriced (1):',
      expect.stringMatching(/^ {2}cheaper: input 1 -> 0\.5; /),
      'other changes (2):',
      '  old-name (now new-name): ',
      '  limits: context_window 1000 -> 2000',
    ]);
  });
});
