// Input tokens of a /v1/embeddings request: `input` as a string, a list of strings,
// a token-id list (its length) or a list of token-id lists (the sum of lengths).
// Embeddings carry no per-item framing. Pure.
import type { ModelPrice } from '../pricing/types.js';
import { countTextOrTokens } from './completions.js';
import { applyEstimateFactor, createTextCounter } from './text-counter.js';
import type { InputEstimate, Tokenizer } from './types.js';

export function countEmbeddingsInputTokens(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): number {
  const counter = createTextCounter(price, tokenizer);
  return applyEstimateFactor(countTextOrTokens(body['input'], counter), price);
}

export function estimateEmbeddingsInput(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): InputEstimate {
  const inputTokens = countEmbeddingsInputTokens(body, price, tokenizer);
  return { inputTokens, contextTokens: inputTokens, extraOutputTokens: 0, unmeasured: [] };
}
