// Input tokens of a legacy /v1/completions request: `prompt` as a string, a list of
// strings (each a separate prompt, all billed), a token-id list, or a list of
// token-id lists (counted by length), plus `suffix`, which goes with every prompt of a
// batch. The context-window room is that of the longest single prompt. Pure.
import type { ModelPrice } from '../pricing/types.js';
import { applyEstimateFactor, createTextCounter, type TextCounter } from './text-counter.js';
import type { InputEstimate, Tokenizer } from './types.js';

export function countCompletionsInputTokens(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): number {
  return estimateCompletionsInput(body, price, tokenizer).inputTokens;
}

export function estimateCompletionsInput(
  body: Readonly<Record<string, unknown>>,
  price: ModelPrice,
  tokenizer: Tokenizer,
): InputEstimate {
  const counter = createTextCounter(price, tokenizer);
  const suffix = countTextOrTokens(body['suffix'], counter);
  const prompt = body['prompt'];
  // A batch: a list of strings or of token-id lists (a flat token-id list is one prompt).
  const batch = Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number' ? prompt : [prompt];
  let total = 0;
  let longest = 0;
  for (const one of batch) {
    const tokens = countTextOrTokens(one, counter) + suffix;
    total += tokens;
    longest = Math.max(longest, tokens);
  }
  return {
    inputTokens: applyEstimateFactor(total, price),
    contextTokens: applyEstimateFactor(longest, price),
    extraOutputTokens: 0,
    unmeasured: [],
  };
}

/** Legacy completions: how many prompts a `prompt` holds (each generates its own choices). */
export function promptCount(prompt: unknown): number {
  return Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number' ? prompt.length : 1;
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
