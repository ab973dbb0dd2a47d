import { describe, expect, it } from 'vitest';
import { parsePriceTable } from '../parse-table.js';
import { CatalogError } from './catalog-error.js';
import { parseCuration } from './curation.js';
import { checkGenaiProviders } from './genai-prices.js';
import { importCatalogs, type CatalogInput } from './import.js';

const genaiData = [
  {
    id: 'openai',
    models: [
      {
        id: 'gpt-9',
        match: { or: [{ equals: 'gpt-9' }, { equals: 'gpt-9-2026-10-01' }, { starts_with: 'gpt-9-' }] },
        context_window: 400000,
        prices: [
          { prices: { input_mtok: 2, output_mtok: 16 } },
          {
            constraint: { type: 'start_date', start_date: '2026-11-15' },
            prices: { input_mtok: 1.1, cache_read_mtok: 0.11, output_mtok: 8.8 },
          },
          { constraint: { type: 'start_date', start_date: '2027-01-01' }, prices: { input_mtok: 9, output_mtok: 9 } },
        ],
      },
      {
        id: 'gpt-9-mini',
        match: { equals: 'gpt-9-mini' },
        context_window: 1050000,
        prices: {
          input_mtok: { base: 0.25, tiers: [{ start: 272000, price: 0.5 }] },
          output_mtok: { base: 2, tiers: [{ start: 272000, price: 3 }] },
          web_searches_kcount: 10,
        },
      },
      {
        id: 'text-embedding-9',
        match: { equals: 'text-embedding-9' },
        context_window: 8192,
        prices: { input_mtok: 0.02 },
      },
    ],
  },
  {
    id: 'anthropic',
    models: [
      {
        id: 'claude-x-1',
        match: { starts_with: 'claude-x-1' },
        context_window: 200000,
        prices: {
          input_mtok: { base: 3, tiers: [{ start: 200000, price: 6 }] },
          cache_write_mtok: 3.75,
          cache_write_1h_mtok: 6,
          cache_read_mtok: 0.3,
          output_mtok: 15,
        },
      },
    ],
  },
];
const modelsDev = {
  openai: {
    models: {
      'gpt-9': {
        tool_call: true,
        modalities: { input: ['text', 'image'] },
        limit: { context: 400000, output: 128000 },
      },
    },
  },
  anthropic: {
    models: {
      'claude-x-1-20260101': {
        tool_call: true,
        modalities: { input: ['text', 'image'] },
        limit: { context: 200000, output: 64000 },
      },
    },
  },
};
const curation = {
  models: {
    'gpt-9': { provider: 'openai', downgrade_to: ['gpt-9-mini', 'gone'] },
    'gpt-9-mini': {
      provider: 'openai',
      downgrade_to: [],
      max_output_tokens: 128000,
      capabilities: { tools: true, json_schema: true, vision: false },
    },
    'gpt-9.1': {
      provider: 'openai',
      catalog: null,
      prices_from: 'gpt-9',
      source: 'provisional: as gpt-9',
      downgrade_to: ['gpt-9'],
      max_output_tokens: 1000,
      capabilities: { tools: true, json_schema: true, vision: true },
    },
    'text-embedding-9': { provider: 'openai', downgrade_to: [], embedding: true },
    'claude-x-1': {
      provider: 'anthropic',
      aliases: ['claude-x-1-20260101'],
      downgrade_to: [],
      capabilities: { tools: true, json_schema: false, vision: true },
    },
    'claude-y': {
      provider: 'anthropic',
      catalog: null,
      prices: {
        input: '0.1',
        output: '0.5',
        cache_write_1h: '0.2',
        long_context: { above_input_tokens: 100000, input: '0.5', output: '2.5' },
      },
      source: 'vendor catalog',
      context_window: 1000000,
      max_output_tokens: 128000,
      capabilities: { tools: true, json_schema: false, vision: true },
      downgrade_to: [],
    },
    'gpt-none': { provider: 'openai', downgrade_to: [] },
  },
};

const input = (overrides: Partial<CatalogInput> = {}): CatalogInput => ({
  version: '2026-11-30',
  date: '2026-11-30',
  genai: { source: { name: 'genai', version: '1.0.0' }, providers: checkGenaiProviders(genaiData, 'genai') },
  modelsDev: { source: { name: 'models.dev', version: '2.0.0' }, providers: modelsDev },
  curation: parseCuration(curation, 'curation.json'),
  curationName: 'curation.json',
  ...overrides,
});

describe('importCatalogs', () => {
  const { table, skipped } = importCatalogs(input());
  const models = table.models;

  it('imports the prices in force on the date, exactly, with equals names as aliases', () => {
    expect(models['gpt-9']).toMatchObject({
      provider: 'openai',
      aliases: ['gpt-9-2026-10-01'],
      encoding: 'o200k_base',
      input: '1.1',
      cached_input: '0.11',
      output: '8.8',
      context_window: 400000,
      max_output_tokens: 128000,
      capabilities: { tools: true, json_schema: true, vision: true },
    });
    expect(importCatalogs(input({ date: '2026-11-01' })).table.models['gpt-9']).toMatchObject({
      input: '2',
      output: '16',
    });
  });

  it('turns one price tier into long_context, and drops a tier the context window never reaches', () => {
    expect(models['gpt-9-mini']?.long_context).toEqual({ above_input_tokens: 272000, input: '0.5', output: '3' });
    expect(models['claude-x-1']).toMatchObject({
      input: '3',
      cache_write: '3.75',
      cache_write_1h: '6',
      cached_input: '0.3',
    });
    expect(models['claude-x-1']?.long_context).toBeUndefined();
    expect(models['claude-x-1']).toMatchObject({
      estimate_factor: '1.4',
      max_output_tokens: 64000,
      context_window: 200000,
    });
  });

  it('marks what the catalog did not price with its source', () => {
    expect(models['gpt-9.1']).toMatchObject({
      input: '1.1',
      output: '8.8',
      source: 'provisional: as gpt-9',
      context_window: 400000,
    });
    expect(models['claude-y']).toMatchObject({ input: '0.1', cache_write_1h: '0.2', source: 'vendor catalog' });
    expect(models['gpt-9']?.source).toBeUndefined();
  });

  it('imports embeddings as input-only, drops downgrade targets that were not imported, and says what it skipped', () => {
    expect(models['text-embedding-9']).toMatchObject({ output: '0', max_output_tokens: 0, encoding: 'cl100k_base' });
    expect(models['gpt-9']?.downgrade_to).toEqual(['gpt-9-mini']);
    expect(skipped).toEqual([{ model: 'gpt-none', reason: 'not in the price catalog (as "gpt-none")' }]);
  });

  it('writes a table the loader accepts, with the catalogs and versions in `source`', () => {
    const loaded = parsePriceTable(table, 'generated');
    expect(loaded.models.get('claude-x-1-20260101')?.model).toBe('claude-x-1');
    expect(loaded.models.get('claude-x-1')?.cacheWrite1h).toBe(6_000_000_000n);
    expect(table.source).toEqual({
      catalogs: [
        { name: 'genai', version: '1.0.0' },
        { name: 'models.dev', version: '2.0.0' },
      ],
      curation: 'curation.json',
      prices_as_of: '2026-11-30',
    });
  });
});

describe('malformed catalogs name what is wrong', () => {
  const broken = (mutate: (data: typeof genaiData) => void): CatalogError => {
    const data = structuredClone(genaiData);
    mutate(data);
    try {
      importCatalogs(
        input({ genai: { source: { name: 'genai', version: '1' }, providers: checkGenaiProviders(data, 'genai 1') } }),
      );
    } catch (error) {
      if (error instanceof CatalogError) return error;
      throw error;
    }
    throw new Error('no error');
  };

  it.each<[string, (data: typeof genaiData) => void, string]>([
    [
      'a string price',
      (d) => ((d[0]!.models[2]!.prices as Record<string, unknown>)['input_mtok'] = '0.02'),
      'genai 1 at providers[openai].models[text-embedding-9].prices.input_mtok: expected a number or {base, tiers: [one tier]}',
    ],
    [
      'float noise',
      (d) => ((d[0]!.models[2]!.prices as Record<string, unknown>)['input_mtok'] = 0.1 + 0.2),
      'genai 1 at providers[openai].models[text-embedding-9].prices.input_mtok: 0.30000000000000004 has more than 9 decimals (float noise?)',
    ],
    [
      'a negative price',
      (d) => ((d[0]!.models[2]!.prices as Record<string, unknown>)['input_mtok'] = -1),
      'not a price: -1',
    ],
    [
      'no input price',
      (d) => ((d[0]!.models[2]!.prices as Record<string, unknown>) = { output_mtok: 1 }),
      'prices.input_mtok: missing',
    ],
    [
      'a time-of-day price',
      (d) =>
        ((d[0]!.models[0]!.prices as unknown[])[1] = {
          constraint: { type: 'time_of_date', start_time: '00:00', end_time: '06:00' },
          prices: { input_mtok: 1 },
        }),
      'only start_date constraints can be imported',
    ],
    [
      'two tiers',
      (d) =>
        ((d[0]!.models[1]!.prices as Record<string, unknown>)['input_mtok'] = {
          base: 1,
          tiers: [
            { start: 1, price: 2 },
            { start: 2, price: 3 },
          ],
        }),
      'expected a number or {base, tiers: [one tier]}',
    ],
    [
      'a bad context window',
      (d) => ((d[0]!.models[0] as Record<string, unknown>)['context_window'] = '400k'),
      'context_window: expected a positive integer, got 400k',
    ],
  ])('%s', (_name, mutate, message) => {
    expect(broken(mutate).message).toContain(message);
  });

  it('refuses a catalog that is not a list of providers', () => {
    expect(() => checkGenaiProviders({ openai: [] }, 'data.json')).toThrow('data.json: expected an array of providers');
    expect(() => checkGenaiProviders([{ id: 'openai' }], 'data.json')).toThrow(
      'data.json at providers[0]: expected {id: string, models: [...]}',
    );
  });

  it('refuses a curation entry priced outside the catalog without a source', () => {
    const bad = {
      models: { m: { provider: 'openai', catalog: null, prices: { input: '1', output: '1' }, downgrade_to: [] } },
    };
    expect(() => parseCuration(bad, 'curation.json')).toThrow(
      'curation.json at models.m: prices outside the catalog need a source',
    );
    expect(() =>
      parseCuration(
        { models: { m: { provider: 'openai', downgrade_to: [], prices: { input: 1, output: '1' } } } },
        'c.json',
      ),
    ).toThrow('c.json at models.m.prices.input');
  });

  it('refuses a generated table the loader would reject (an alias used twice)', () => {
    const clash: { models: Record<string, Record<string, unknown>> } = structuredClone(curation);
    clash.models['gpt-9-mini'] = { ...clash.models['gpt-9-mini'], aliases: ['gpt-9-2026-10-01'] };
    expect(() => importCatalogs(input({ curation: parseCuration(clash, 'c') }))).toThrow(
      /the generated table: .*alias "gpt-9-2026-10-01" collides/,
    );
  });
});
