import { describe, expect, it } from 'vitest';
import { parsePriceTable } from './parse-table.js';
import { parsePriceOverrides } from './parse-overrides.js';
import { canonicalModels, lookupModel } from './lookup.js';

const base = { provider: 'openai', context_window: 128000, max_output_tokens: 16384 };
const table = parsePriceTable(
  {
    version: '2026-11-01',
    currency: 'USD',
    models: {
      'gpt-4o': {
        ...base,
        aliases: ['gpt-4o-2024-08-06'],
        input: '2.50',
        output: '10',
        downgrade_to: ['gpt-4o-mini-2024-07-18'],
      },
      'gpt-4o-mini': { ...base, aliases: ['gpt-4o-mini-2024-07-18'], input: '0.15', output: '0.60' },
    },
  },
  'test.json',
);

describe('lookupModel', () => {
  it('finds canonical names and resolves dated aliases to the canonical entry', () => {
    const byName = lookupModel(table, 'gpt-4o');
    const byAlias = lookupModel(table, 'gpt-4o-2024-08-06');
    expect(byName).toEqual({ found: true, price: expect.objectContaining({ model: 'gpt-4o', input: 2_500_000_000n }) });
    expect(byAlias.found && byAlias.price.model).toBe('gpt-4o');
    expect(byAlias.found && byName.found && byAlias.price === byName.price).toBe(true);
  });

  it('rewrites downgrade_to aliases to canonical names', () => {
    const hit = lookupModel(table, 'gpt-4o');
    expect(hit.found && hit.price.downgradeTo).toEqual(['gpt-4o-mini']);
  });

  it.each([
    'gpt-4o-2099-01-01', // an unlisted snapshot is not guessed from its prefix
    'openai/gpt-4o', // provider prefixes are not stripped
    'GPT-4o', // no case folding
    'gpt-4', // no prefix match the other way either
    '',
  ])('fails closed for %j', (model) => {
    expect(lookupModel(table, model)).toEqual({ found: false, model });
  });

  it('lets overrides win, for their own names, their aliases and table aliases of the overridden model', () => {
    const overrides = parsePriceOverrides(
      {
        'gpt-4o': { ...base, input: '1', output: '4' },
        'in-house': { ...base, aliases: ['in-house-v2'], input: '0.01', output: '0.02' },
      },
      'tenants.acme.price_overrides',
    );
    const direct = lookupModel(table, 'gpt-4o', overrides);
    const viaTableAlias = lookupModel(table, 'gpt-4o-2024-08-06', overrides);
    const unlisted = lookupModel(table, 'in-house-v2', overrides);
    const untouched = lookupModel(table, 'gpt-4o-mini', overrides);
    expect(direct.found && direct.price.input).toBe(1_000_000_000n);
    expect(viaTableAlias.found && viaTableAlias.price.input).toBe(1_000_000_000n);
    expect(unlisted.found && unlisted.price.model).toBe('in-house');
    expect(untouched.found && untouched.price.input).toBe(150_000_000n);
    expect(lookupModel(table, 'nope', overrides)).toEqual({ found: false, model: 'nope' });
  });
});

describe('canonicalModels', () => {
  it('lists each entry once', () => {
    expect(canonicalModels(table).map((p) => p.model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(table.models.size).toBe(4);
  });
});
