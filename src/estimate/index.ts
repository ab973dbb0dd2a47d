// The estimator's public surface: the caching tokenizer, per-endpoint input counters,
// the cut-stream output counter and the effective output cap. Pure; no I/O.
export type { OutputPolicy, Tokenizer } from './types.js';
export {
  createTokenizer,
  encodeCount,
  type CachingTokenizer,
  type TokenizerOptions,
  type TokenizerStats,
} from './tokenizer.js';
export { countChatInputTokens } from './chat.js';
export { countResponsesInputTokens } from './responses.js';
export { countCompletionsInputTokens } from './completions.js';
export { countEmbeddingsInputTokens } from './embeddings.js';
export { countOutputTokens } from './output-text.js';
export { effectiveOutputCap, type OutputCap, type OutputCapInput, type OutputCapSource } from './output-cap.js';
export { applyEstimateFactor, countingEncoding } from './text-counter.js';
export { imageTokens, imageRuleFor, type ImageRule } from './media-tokens.js';
