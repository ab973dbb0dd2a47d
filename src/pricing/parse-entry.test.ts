import { describe, expect, it } from 'vitest';
import { parsePriceEntry } from './parse-entry.js';
import { parsePriceOverrides } from './parse-overrides.js';
import { PriceTableError } from './price-table-error.js';

const WHERE = 'tenants.acme.price_overrides';
const minimal = { provider: 'openai', input: '2.50', output: '10', context_window: 128000, max_output_tokens: 16384 };

describe('parsePriceEntry', () => {
  it('fills the documented defaults', () => {
    const price = parsePriceEntry('gpt-4o', minimal, WHERE);
    expect(price).toEqual({
      model: 'gpt-4o',
      provider: 'openai',
      aliases: [],
      encoding: 'o200k_base',
      estimateFactor: 1,
      input: 2_500_000_000n,
      cachedInput: 2_500_000_000n,
      cacheWrite: 2_500_000_000n,
      // no cache_write_1h: max(cache_write, 2 x input)
      cacheWrite1h: 5_000_000_000n,
      output: 10_000_000_000n,
      reasoning: 10_000_000_000n,
      contextWindow: 128000,
      maxOutputTokens: 16384,
      capabilities: { tools: false, jsonSchema: false, vision: false },
      downgradeTo: [],
      longContext: null,
    });
    expect(Object.isFrozen(price)).toBe(true);
  });

  it('parses every optional field exactly', () => {
    const price = parsePriceEntry(
      'claude-sonnet-4-5',
      {
        ...minimal,
        provider: 'anthropic',
        aliases: ['claude-sonnet-4-5-20250929'],
        encoding: 'cl100k_base',
        estimate_factor: '1.4',
        cached_input: '0.30',
        cache_write: '3.75',
        reasoning: '20.000000001',
        capabilities: { tools: true, json_schema: false, vision: true },
        downgrade_to: ['claude-haiku-4-5'],
        long_context: { above_input_tokens: 100000, input: '6', output: '22.50' },
      },
      WHERE,
    );
    expect(price.estimateFactor).toBe(1.4);
    expect(price.encoding).toBe('cl100k_base');
    expect(price.cachedInput).toBe(300_000_000n);
    expect(price.cacheWrite).toBe(3_750_000_000n);
    expect(price.reasoning).toBe(20_000_000_001n);
    expect(price.capabilities).toEqual({ tools: true, jsonSchema: false, vision: true });
    expect(price.downgradeTo).toEqual(['claude-haiku-4-5']);
    // Tier cached_input and cache_write default to the tier's input rate.
    expect(price.longContext).toEqual({
      aboveInputTokens: 100000,
      input: 6_000_000_000n,
      cachedInput: 6_000_000_000n,
      cacheWrite: 6_000_000_000n,
      cacheWrite1h: 12_000_000_000n,
      output: 22_500_000_000n,
    });
  });

  it('parses cache_write_1h exactly, also inside the long-context tier', () => {
    const price = parsePriceEntry(
      'claude-opus',
      {
        ...minimal,
        provider: 'anthropic',
        input: '5',
        cache_write: '6.25',
        cache_write_1h: '10.000000001',
        long_context: {
          above_input_tokens: 100000,
          input: '10',
          cache_write: '12.50',
          cache_write_1h: '20',
          output: '1',
        },
      },
      WHERE,
    );
    expect(price.cacheWrite).toBe(6_250_000_000n);
    expect(price.cacheWrite1h).toBe(10_000_000_001n);
    expect(price.longContext?.cacheWrite1h).toBe(20_000_000_000n);
  });

  it('parses service_tiers with the entry defaults inside each tier', () => {
    const price = parsePriceEntry(
      'gpt-5',
      {
        ...minimal,
        input: '1.25',
        cached_input: '0.125',
        service_tiers: {
          priority: { input: '2.50', cached_input: '0.25', output: '20' },
          flex: { input: '0.625', output: '5', reasoning: '6' },
        },
      },
      WHERE,
    );
    expect(price.serviceTiers?.get('priority')).toEqual({
      input: 2_500_000_000n,
      cachedInput: 250_000_000n,
      cacheWrite: 2_500_000_000n,
      cacheWrite1h: 5_000_000_000n,
      output: 20_000_000_000n,
      reasoning: 20_000_000_000n,
      longContext: null,
    });
    expect(price.serviceTiers?.get('flex')).toMatchObject({ cachedInput: 625_000_000n, reasoning: 6_000_000_000n });
    expect([...(price.serviceTiers?.keys() ?? [])]).toEqual(['priority', 'flex']);
  });

  it('accepts max_output_tokens 0 and a numeric estimate_factor', () => {
    const price = parsePriceEntry(
      'emb',
      { ...minimal, output: '0', max_output_tokens: 0, estimate_factor: 1.25 },
      WHERE,
    );
    expect(price.maxOutputTokens).toBe(0);
    expect(price.output).toBe(0n);
    expect(price.estimateFactor).toBe(1.25);
  });

  it.each([
    ['an entry that is not an object', 'm', 'x', null, 'entry must be an object, got "x"'],
    ['its own name as alias', 'm', { ...minimal, aliases: ['m'] }, 'aliases', '"m" is the model\'s own name'],
    ['a duplicate alias', 'm', { ...minimal, aliases: ['a', 'a'] }, 'aliases', '"a" is listed twice'],
    [
      'downgrading to itself',
      'm',
      { ...minimal, downgrade_to: ['m'] },
      'downgrade_to',
      'a model cannot downgrade to itself',
    ],
    [
      'a context window of 0',
      'm',
      { ...minimal, context_window: 0, max_output_tokens: 0 },
      'context_window',
      'must be an integer >= 1, got number 0',
    ],
    [
      'a fractional token count',
      'm',
      { ...minimal, max_output_tokens: 1.5 },
      'max_output_tokens',
      'must be an integer >= 0, got number 1.5',
    ],
    [
      'a tier that never applies',
      'm',
      { ...minimal, long_context: { above_input_tokens: 128000, input: '1', output: '1' } },
      'long_context.above_input_tokens',
      '128000 is not below context_window 128000, so the tier never applies',
    ],
    [
      'an unknown capability',
      'm',
      { ...minimal, capabilities: { audio: true } },
      'capabilities.audio',
      'unknown field',
    ],
    ['a model name with a space', 'gpt 4o', minimal, null, 'model names must be 1-256 characters without whitespace'],
    [
      'a 1-hour write below the 5-minute write',
      'm',
      { ...minimal, cache_write: '3.75', cache_write_1h: '3' },
      'cache_write_1h',
      '3 is below the 5-minute cache_write rate',
    ],
    [
      'a float cache_write_1h',
      'm',
      { ...minimal, cache_write_1h: 6 },
      'cache_write_1h',
      'must be a non-negative decimal string like "0.60", got number 6 (write prices as JSON strings so they stay exact)',
    ],
    [
      'a bad tier cache_write_1h',
      'm',
      { ...minimal, long_context: { above_input_tokens: 1000, input: '1', output: '1', cache_write_1h: '1e1' } },
      'long_context.cache_write_1h',
      'must be a non-negative decimal string like "0.60", got "1e1" (exponent notation is not accepted)',
    ],
    [
      'a service tier named default',
      'm',
      { ...minimal, service_tiers: { default: { input: '1', output: '1' } } },
      'service_tiers.default',
      '"default" is not a priced tier: the entry\'s own rates are the default tier',
    ],
    [
      'a service tier without output',
      'm',
      { ...minimal, service_tiers: { priority: { input: '1' } } },
      'service_tiers.priority.output',
      'is required',
    ],
    [
      'an unknown service-tier field',
      'm',
      { ...minimal, service_tiers: { priority: { input: '1', output: '1', batch: '1' } } },
      'service_tiers.priority.batch',
      'unknown field',
    ],
    [
      'a service tier without the long-context tier its model has',
      'm',
      {
        ...minimal,
        long_context: { above_input_tokens: 1000, input: '1', output: '1' },
        service_tiers: { priority: { input: '2', output: '2' } },
      },
      'service_tiers.priority.long_context',
      'is required because the model has a long_context tier',
    ],
    [
      'service_tiers that is not an object',
      'm',
      { ...minimal, service_tiers: ['priority'] },
      'service_tiers',
      'must be an object of tier name -> rates, got an array',
    ],
  ])('rejects %s', (_name, model, raw, field, reason) => {
    let caught: unknown;
    try {
      parsePriceEntry(model, raw, WHERE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PriceTableError);
    const error = caught as PriceTableError;
    expect(error.field).toBe(field);
    expect(error.reason).toBe(reason);
    expect(error.message.startsWith(`${WHERE}: model "${model}"`)).toBe(true);
  });
});

describe('parsePriceOverrides', () => {
  it('indexes names and aliases', () => {
    const map = parsePriceOverrides({ 'my-model': { ...minimal, aliases: ['my-model-v1'] } }, WHERE);
    expect(map.get('my-model')?.model).toBe('my-model');
    expect(map.get('my-model-v1')?.model).toBe('my-model');
    expect(map.size).toBe(2);
  });

  it('returns an empty map for undefined and rejects non-objects and collisions', () => {
    expect(parsePriceOverrides(undefined, WHERE).size).toBe(0);
    expect(() => parsePriceOverrides([], WHERE)).toThrow(
      `${WHERE}: must be an object of model name -> price entry, got an array`,
    );
    expect(() => parsePriceOverrides({ a: minimal, b: { ...minimal, aliases: ['a'] } }, WHERE)).toThrow(
      `${WHERE}: model "b" field "aliases": alias "a" collides with model "a"`,
    );
  });
});
