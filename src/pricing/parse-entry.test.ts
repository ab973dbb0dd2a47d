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
      output: 22_500_000_000n,
    });
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
