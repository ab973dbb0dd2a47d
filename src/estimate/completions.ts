// Input tokens of a legacy /v1/completions request: `prompt` as a string, a list of
// strings (each a separate prompt, all billed), a token-id list, or a list of
// token-id lists (counted by length), plus `suffix`. Pure.
import type { ModelPrice } from '../pricing/types.js';
import { applyEstimateFactor, createTextCounter, type TextCounter } from './text-counter.js';
import type { Tokenizer } from './types.js';

export function countCompletionsInputTokens(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): number {
  const counter = createTextCounter(price, tokenizer);
  const tokens = countTextOrTokens(body['prompt'], counter) + countTextOrTokens(body['suffix'], counter);
  return applyEstimateFactor(tokens, price);
}

/**
 * A string, a token id (1), or a list of those (possibly nested one level, as in
 * a list of token-id lists). Shared with embeddings. Anything else counts as JSON.
 */
export function countTextOrTokens(value: unknown, counter: TextCounter): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string') return counter.text(value);
  if (typeof value === 'number') return 1;
  if (!Array.isArray(value)) return counter.json(value);
  let tokens = 0;
  for (const element of value) {
    if (typeof element === 'number') tokens += 1;
    else if (typeof element === 'string') tokens += counter.text(element);
    else if (Array.isArray(element)) tokens += countTextOrTokens(element, counter);
    else tokens += counter.json(element);
  }
  return tokens;
}
