import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importLitellm, perTokenToPerMillion } from './litellm-import.js';
import { parsePriceTable } from './parse-table.js';

const FIXTURE = new URL('../../test/fixtures/litellm-sample.json', import.meta.url);
const sample: unknown = JSON.parse(readFileSync(FIXTURE, 'utf8'));

describe('perTokenToPerMillion', () => {
  it.each<[number, string]>([
    [1.5e-7, '0.15'],
    [2.5e-6, '2.5'],
    [0.000003, '3'],
    [1e-8, '0.01'],
    [3.75e-8, '0.0375'],
    [0, '0'],
    [1.25e-6, '1.25'],
    [0.00001, '10'],
    [6e-7, '0.6'],
    [2.25e-5, '22.5'],
    [1e-15, '0.000000001'],
    [0.5, '500000'],
    [3, '3000000'],
    [1.5e21, '1500000000000000000000000000'],
    [3.0000000000000004e-7, '0.30000000000000004'],
  ])('%s -> %s', (perToken, perMillion) => {
    expect(perTokenToPerMillion(perToken)).toBe(perMillion);
  });

  it.each([-1e-7, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s', (bad) => {
    expect(() => perTokenToPerMillion(bad)).toThrow(RangeError);
  });
});

describe('importLitellm on the fixture', () => {
  const { table, skipped } = importLitellm(sample, { version: '2026-11-02' });

  it('produces a table the loader accepts', () => {
    const loaded = parsePriceTable(table, 'imported.json');
    expect(loaded.version).toBe('2026-11-02');
    expect(Object.keys(table.models)).toEqual([
      'azure/gpt-4o',
      'claude-sonnet-4-5',
      'gpt-3.5-turbo',
      'gpt-4o-mini',
      'o3',
      'text-embedding-3-small',
    ]);
  });

  it('converts a chat model with cache pricing and folds its identical dated snapshot into aliases', () => {
    expect(table.models['gpt-4o-mini']).toEqual({
      provider: 'openai',
      aliases: ['gpt-4o-mini-2024-07-18'],
      encoding: 'o200k_base',
      input: '0.15',
      cached_input: '0.075',
      output: '0.6',
      context_window: 128000,
      max_output_tokens: 16384,
      capabilities: { tools: true, json_schema: true, vision: true },
      downgrade_to: [],
    });
  });

  it('converts the long-context tier, cache writes and a non-OpenAI tokenizer estimate', () => {
    expect(table.models['claude-sonnet-4-5']).toEqual({
      provider: 'anthropic',
      aliases: ['claude-sonnet-4-5-20250929'],
      encoding: 'o200k_base',
      estimate_factor: '1.4',
      input: '3',
      cached_input: '0.3',
      cache_write: '3.75',
      output: '15',
      context_window: 1000000,
      max_output_tokens: 64000,
      capabilities: { tools: true, json_schema: true, vision: true },
      downgrade_to: [],
      long_context: { above_input_tokens: 200000, input: '6', cached_input: '0.6', cache_write: '7.5', output: '22.5' },
    });
  });

  it('converts embeddings, reasoning prices and cl100k models', () => {
    expect(table.models['text-embedding-3-small']).toMatchObject({
      encoding: 'cl100k_base',
      input: '0.02',
      output: '0',
      max_output_tokens: 0,
      context_window: 8191,
      capabilities: { tools: false, json_schema: false, vision: false },
    });
    expect(table.models['o3']).toMatchObject({
      reasoning: '8',
      output: '8',
      cached_input: '0.5',
      max_output_tokens: 100000,
    });
    expect(table.models['gpt-3.5-turbo']).toMatchObject({ encoding: 'cl100k_base', input: '0.5', output: '1.5' });
  });

  it('skips with reasons, and ignores sample_spec', () => {
    expect(skipped).toEqual([
      { model: 'dall-e-3', reason: 'mode "image_generation" is not a per-token text mode' },
      {
        model: 'gpt-noisy-float',
        reason: 'input_cost_per_token needs more than 9 decimals per 1M tokens (float noise in the source?)',
      },
    ]);
  });

  it('filters by provider', () => {
    const filtered = importLitellm(sample, { version: '2026-11-02', providers: ['anthropic'] });
    expect(Object.keys(filtered.table.models)).toEqual(['claude-sonnet-4-5']);
    expect(filtered.skipped).toContainEqual({ model: 'azure/gpt-4o', reason: 'provider "azure" not selected' });
  });
});

describe('importLitellm edge cases', () => {
  const chat = { litellm_provider: 'openai', mode: 'chat', max_input_tokens: 1000, max_output_tokens: 100 };
  it.each<[string, Record<string, unknown>, string]>([
    ['missing input price', { ...chat, output_cost_per_token: 1e-6 }, 'no input_cost_per_token'],
    ['missing output price', { ...chat, input_cost_per_token: 1e-6 }, 'no output_cost_per_token'],
    [
      'string price',
      { ...chat, input_cost_per_token: '1e-6', output_cost_per_token: 1e-6 },
      'input_cost_per_token is not a non-negative number',
    ],
    [
      'all zero',
      { ...chat, input_cost_per_token: 0, output_cost_per_token: 0 },
      'all prices are 0 (LiteLLM uses 0 for free or unknown)',
    ],
    [
      'no mode',
      { ...chat, mode: undefined, input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
      'mode (none) is not a per-token text mode',
    ],
    [
      'no context',
      { ...chat, max_input_tokens: undefined, input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
      'no max_input_tokens or max_tokens',
    ],
    [
      'two tiers',
      {
        ...chat,
        max_input_tokens: 1_000_000,
        input_cost_per_token: 1e-6,
        output_cost_per_token: 1e-6,
        input_cost_per_token_above_128k_tokens: 2e-6,
        input_cost_per_token_above_200k_tokens: 3e-6,
      },
      'more than one long-context price tier',
    ],
    [
      'audio tokens',
      { ...chat, input_cost_per_token: 1e-6, output_cost_per_token: 1e-6, input_cost_per_audio_token: 1e-4 },
      'audio-token pricing is not supported',
    ],
  ])('skips: %s', (_name, entry, reason) => {
    const { table, skipped } = importLitellm({ m: entry }, { version: '2026-11-02' });
    expect(table.models).toEqual({});
    expect(skipped).toEqual([{ model: 'm', reason }]);
  });

  it('falls back to max_tokens, clamps max output to the context window and drops a tier that never applies', () => {
    const { table } = importLitellm(
      {
        m: {
          litellm_provider: 'openai',
          mode: 'completion',
          max_tokens: 4096,
          input_cost_per_token: 1e-6,
          output_cost_per_token: 2e-6,
          input_cost_per_token_above_200k_tokens: 2e-6,
        },
      },
      { version: '2026-11-02' },
    );
    expect(table.models['m']).toMatchObject({ context_window: 4096, max_output_tokens: 4096 });
    expect(table.models['m']?.long_context).toBeUndefined();
  });

  it('does not fold a snapshot whose price differs', () => {
    const entry = {
      litellm_provider: 'openai',
      mode: 'chat',
      max_input_tokens: 1000,
      max_output_tokens: 100,
      output_cost_per_token: 1e-6,
    };
    const { table } = importLitellm(
      {
        'gpt-x': { ...entry, input_cost_per_token: 1e-6 },
        'gpt-x-2024-05-13': { ...entry, input_cost_per_token: 2e-6 },
      },
      { version: '2026-11-02' },
    );
    expect(Object.keys(table.models)).toEqual(['gpt-x', 'gpt-x-2024-05-13']);
    expect(table.models['gpt-x']?.aliases).toEqual([]);
  });

  it('rejects a bad version and a non-object file', () => {
    expect(() => importLitellm({}, { version: 'today' })).toThrow(
      'version must be a date like "2026-11-01", got "today"',
    );
    expect(() => importLitellm([], { version: '2026-11-02' })).toThrow(TypeError);
  });
});
