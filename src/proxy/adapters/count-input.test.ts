// Adapters wired to the real per-endpoint estimators, with a stub tokenizer: the counts
// grow with the input, whatever the estimator's exact framing rules are.
import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../../pricing/types.js';
import type { Tokenizer } from '../../estimate/types.js';
import { ADAPTERS } from './index.js';

const price: ModelPrice = {
  model: 'gpt-4o-mini',
  provider: 'openai',
  aliases: [],
  encoding: 'o200k_base',
  estimateFactor: 1,
  input: 150_000_000n,
  cachedInput: 75_000_000n,
  cacheWrite: 0n,
  cacheWrite1h: 0n,
  output: 600_000_000n,
  reasoning: 600_000_000n,
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
  capabilities: { tools: true, jsonSchema: true, vision: true },
  downgradeTo: [],
  longContext: null,
};

/** One token per whitespace-separated word. */
const tokenizer: Tokenizer = { count: (text) => text.split(/\s+/).filter(Boolean).length };
const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

const bodies: Record<string, (n: number) => Record<string, unknown>> = {
  '/chat/completions': (n) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: words(n) }] }),
  '/responses': (n) => ({ model: 'gpt-4o-mini', input: words(n) }),
  '/completions': (n) => ({ model: 'gpt-4o-mini', prompt: words(n) }),
  '/embeddings': (n) => ({ model: 'gpt-4o-mini', input: words(n) }),
  '/messages': (n) => ({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: words(n) }] }),
};

describe('estimateInput through the estimators', () => {
  for (const [path, adapter] of ADAPTERS) {
    it(`${path}: counts the input, and 100 more words count 100 more tokens`, () => {
      const make = bodies[path];
      if (make === undefined) throw new Error(`no fixture for ${path}`);
      const small = adapter.estimateInput(adapter.parse(make(10)), price, tokenizer).inputTokens;
      const large = adapter.estimateInput(adapter.parse(make(110)), price, tokenizer).inputTokens;
      expect(small).toBeGreaterThanOrEqual(10);
      expect(large - small).toBe(100);
    });
  }
});
