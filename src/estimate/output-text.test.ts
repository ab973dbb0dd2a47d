import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import { countOutputTokens } from './output-text.js';
import { applyEstimateFactor, countingEncoding } from './text-counter.js';
import { createTokenizer } from './tokenizer.js';

function price(overrides: Partial<ModelPrice>): ModelPrice {
  return {
    model: 'gpt-4o',
    provider: 'openai',
    aliases: [],
    encoding: 'o200k_base',
    estimateFactor: 1,
    input: 1n,
    cachedInput: 1n,
    cacheWrite: 1n,
    cacheWrite1h: 1n,
    output: 1n,
    reasoning: 1n,
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: { tools: true, jsonSchema: true, vision: true },
    downgradeTo: [],
    longContext: null,
    ...overrides,
  };
}

const tokenizer = createTokenizer();

describe('countOutputTokens', () => {
  it('counts streamed text with the model encoding', () => {
    expect(countOutputTokens('Hi there! How can I assist you today?', price({}), tokenizer)).toBe(10);
    expect(
      countOutputTokens('Hi there! How can I assist you today?', price({ encoding: 'cl100k_base' }), tokenizer),
    ).toBe(10);
    expect(countOutputTokens('', price({}), tokenizer)).toBe(0);
  });

  it('scales by the estimate factor, rounding up', () => {
    expect(countOutputTokens('Hi there! How can I assist you today?', price({ estimateFactor: 1.33 }), tokenizer)).toBe(
      14,
    );
  });
});

describe('estimate factor rule', () => {
  it.each([
    [1, 'cl100k_base', 100, 100],
    [1.4, 'o200k_base', 100, 140],
    [1.4, 'o200k_base', 7, 10],
    [0.8, 'cl100k_base', 100, 100],
    [Number.NaN, 'cl100k_base', 100, 100],
  ] as const)('factor %d -> encoding %s, %i tokens -> %i', (factor, encoding, tokens, expected) => {
    const model = price({ encoding: 'cl100k_base', estimateFactor: factor });
    expect(countingEncoding(model)).toBe(encoding);
    expect(applyEstimateFactor(tokens, model)).toBe(expected);
  });
});
