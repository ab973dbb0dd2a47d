// The tokenizer seam used by the per-endpoint estimators. Pure types.
import type { Encoding } from '../pricing/types.js';

export interface Tokenizer {
  /** Tokens in `text` under `encoding`. Implementations cache by content, so resending a text is O(1)-ish. */
  count(text: string, encoding: Encoding): number;
  /**
   * Optional: runs `estimate` against a probe that only records the texts it would count,
   * refuses the request (413 `request_too_large`) when they exceed `bounds`, and counts the
   * never-seen ones off the event loop when there are enough of them, so running `estimate`
   * for real right after only hits the cache.
   */
  prefetch?(estimate: (probe: Tokenizer) => unknown, options?: PrefetchOptions): Promise<void>;
}

/** The most counting one request may ask for (config `server.max_counted_texts` / `max_counted_chars`). */
export interface CountBounds {
  /** Strings counted: message contents, parts, names, roles, tool definitions. */
  readonly maxTexts: number;
  /** Characters of all those strings together. */
  readonly maxChars: number;
}

export interface PrefetchOptions {
  /**
   * An upper bound on the characters (and on the number) of texts `estimate` can count, e.g.
   * the body's byte size: when that is below the offload threshold and both bounds, the probe
   * pass is skipped (nothing it could find would change anything).
   */
  readonly maxTotalChars?: number;
  readonly bounds?: CountBounds;
}

/** Output-token policy of a tenant (docs/design.md §4, config `output`). */
export interface OutputPolicy {
  readonly defaultMaxTokens: number;
  readonly maxTokens: number;
  readonly onMissing: 'default' | 'reject';
  readonly onAbove: 'clamp' | 'reject';
}
