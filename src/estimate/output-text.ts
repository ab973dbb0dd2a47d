// Output tokens of generated text we saw but were never told the usage of (a cut
// stream, docs/design.md §8): the text's tokens under the model's counting rule. Hidden
// reasoning tokens cannot be seen here; the caller never commits less than the input. Pure.
import type { ModelPrice } from '../pricing/types.js';
import { applyEstimateFactor, countingEncoding } from './text-counter.js';
import type { Tokenizer } from './types.js';

export function countOutputTokens(text: string, price: ModelPrice, tokenizer: Tokenizer): number {
  if (text.length === 0) return 0;
  return applyEstimateFactor(tokenizer.count(text, countingEncoding(price)), price);
}
