// The tokenizer seam used by the per-endpoint estimators. Pure types.
import type { Encoding } from '../pricing/types.js';

export interface Tokenizer {
  /** Tokens in `text` under `encoding`. Implementations cache by content, so resending a text is O(1)-ish. */
  count(text: string, encoding: Encoding): number;
  /**
   * Optional: runs `estimate` against a probe that records the never-seen texts it would count,
   * refuses the request (413 `request_too_large`) when they exceed `bounds`, and counts the
   * never-seen ones off the event loop when there are enough of them, so running `estimate`
   * for real right after only hits the cache.
   */
  prefetch?(estimate: (probe: Tokenizer) => unknown, options?: PrefetchOptions): Promise<void>;
  /**
   * Optional: `prefetch` with a probe that answers from the cache (and counts on the event loop what
   * the request would count there anyway); resolves to what `estimate` returned when the probe
   * counted every text exactly as `count` would, so it need not run again, else to undefined.
   */
  prefetchEstimate?<T>(
    estimate: (probe: Tokenizer) => T,
    options?: PrefetchOptions,
  ): Promise<Prefetched<T> | undefined>;
}

/** What an estimate returned when the tokenizer's prefetch ran it with exact counts. */
export interface Prefetched<T> {
  readonly estimate: T;
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

/**
 * Input the provider adds from its own side that runcap cannot measure, by what adds it
 * (docs/design.md §8, docs/bounds.md): such a request is held as if that input filled the context window.
 */
export type ProviderInputKind = 'file' | 'item_reference' | 'stored_prompt' | 'conversation' | 'previous_response';

/** What a request's own body says about its cost, found in the one walk that counts it. */
export interface InputEstimate {
  /** Input tokens billed for what the request carries (every prompt of a batch). */
  readonly inputTokens: number;
  /** The largest input one generation reads (a batch: its longest prompt), for the context-window room. */
  readonly contextTokens: number;
  /** Output tokens billed besides the generated ones, in all (chat `prediction`: rejected prediction tokens). */
  readonly extraOutputTokens: number;
  /** Parts whose content the provider adds from its side, by kind (each kind once). */
  readonly unmeasured: readonly ProviderInputKind[];
  /**
   * The cache writes the request can cause, which the worst case prices its input at (docs/pricing.md):
   * none, 5-minute, or 1-hour ones too. Absent: an endpoint that cannot tell (held as `5m`).
   */
  readonly cacheWrites?: CacheWrites;
}

/** What cache entries a request can make the provider write (Anthropic `cache_control`). */
export type CacheWrites = 'none' | '5m' | '1h';
