import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import { countCompletionsInputTokens, estimateCompletionsInput, promptCount } from './completions.js';
import { countEmbeddingsInputTokens } from './embeddings.js';
import { createTokenizer, encodeCount } from './tokenizer.js';

function price(model: string, overrides: Partial<ModelPrice> = {}): ModelPrice {
  return {
    model,
    provider: 'openai',
    aliases: [],
    encoding: 'cl100k_base',
    estimateFactor: 1,
    input: 1_500_000_000n,
    cachedInput: 1_500_000_000n,
    cacheWrite: 1_500_000_000n,
    cacheWrite1h: 1_500_000_000n,
    output: 2_000_000_000n,
    reasoning: 2_000_000_000n,
    contextWindow: 4096,
    maxOutputTokens: 4096,
    capabilities: { tools: false, jsonSchema: false, vision: false },
    downgradeTo: [],
    longContext: null,
    ...overrides,
  };
}

const instruct = price('gpt-3.5-turbo-instruct');
const embedding = price('text-embedding-3-small', { contextWindow: 8191, maxOutputTokens: 0 });
const tokenizer = createTokenizer();
const cl100k = (text: string): number => encodeCount(text, 'cl100k_base');

describe('countCompletionsInputTokens', () => {
  const count = (body: Record<string, unknown>, model = instruct): number =>
    countCompletionsInputTokens(body, model, tokenizer);

  it.each([
    ['a string', { prompt: 'Say this is a test' }, 5],
    ['a list of strings (all billed)', { prompt: ['Say this is a test', 'Hello!'] }, 5 + 2],
    ['a token-id list', { prompt: [1, 2, 3, 4] }, 4],
    ['a list of token-id lists', { prompt: [[1, 2], [3, 4, 5], []] }, 5],
    ['an empty prompt', { prompt: '' }, 0],
    ['no prompt', {}, 0],
  ])('counts %s', (_name, body, expected) => {
    expect(count(body)).toBe(expected);
  });

  it('adds the suffix', () => {
    expect(count({ prompt: 'def add(a, b):', suffix: '    return result' })).toBe(
      cl100k('def add(a, b):') + cl100k('    return result'),
    );
  });

  it('adds the suffix to every prompt of a batch, and gives the room of the longest prompt', () => {
    const first = 'def add(a, b):';
    const second = 'def mul(a, b):\n    # Multiply the two numbers and return the product.';
    const suffix = cl100k('    return result');
    const body = { prompt: [first, second], suffix: '    return result' };
    expect(estimateCompletionsInput(body, instruct, tokenizer)).toEqual({
      inputTokens: cl100k(first) + suffix + cl100k(second) + suffix,
      contextTokens: cl100k(second) + suffix,
      extraOutputTokens: 0,
      unmeasured: [],
    });
  });

  it.each([
    ['a string', 'x', 1],
    ['a token-id list', [1, 2, 3], 1],
    ['strings', ['a', 'b', 'c'], 3],
    ['token-id lists', [[1], [2], [3], [4]], 4],
  ])('counts the prompts of %s', (_name, prompt, expected) => {
    expect(promptCount(prompt)).toBe(expected);
  });

  it('counts an unexpected shape as JSON instead of throwing', () => {
    expect(count({ prompt: { text: 'x' } })).toBe(cl100k('{"text":"x"}'));
  });

  it('applies the estimate factor', () => {
    expect(count({ prompt: [1, 2, 3] }, price('other', { estimateFactor: 1.5 }))).toBe(5);
  });
});

describe('countEmbeddingsInputTokens', () => {
  const count = (body: Record<string, unknown>): number => countEmbeddingsInputTokens(body, embedding, tokenizer);

  it.each([
    [
      'a string',
      { input: 'The food was delicious and the waiter...' },
      cl100k('The food was delicious and the waiter...'),
    ],
    ['a list of strings', { input: ['hello world', 'Hello!'] }, cl100k('hello world') + 2],
    ['a token-id list', { input: [101, 2023, 102] }, 3],
    [
      'a list of token-id lists',
      {
        input: [
          [1, 2, 3],
          [4, 5],
        ],
      },
      5,
    ],
    ['nothing', {}, 0],
  ])('counts %s with no per-item framing', (_name, body, expected) => {
    expect(count(body)).toBe(expected);
  });
});
