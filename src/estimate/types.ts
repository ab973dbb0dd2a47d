// The tokenizer seam used by the per-endpoint estimators. Pure types.
import type { Encoding } from '../pricing/types.js';

export interface Tokenizer {
  /** Tokens in `text` under `encoding`. Implementations cache by content, so resending a text is O(1)-ish. */
  count(text: string, encoding: Encoding): number;
  /**
   * Optional: counts the large never-seen texts `estimate` would count off the event
   * loop and caches them, so running `estimate` for real right after only hits the cache.
   * `maxTextChars` bounds the length of any text it counts (e.g. the request's byte size):
   * below the offload threshold there is nothing to do and the probe pass is skipped.
   */
  prefetch?(estimate: (probe: Tokenizer) => unknown, maxTextChars?: number): Promise<void>;
}

/** Output-token policy of a tenant (docs/design.md §4, config `output`). */
export interface OutputPolicy {
  readonly defaultMaxTokens: number;
  readonly maxTokens: number;
  readonly onMissing: 'default' | 'reject';
  readonly onAbove: 'clamp' | 'reject';
}
