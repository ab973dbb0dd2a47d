// The caching tokenizer: an LRU cache of counts by text (count-cache.ts, bounded by characters), so an agent
// loop that resends its history pays only for its new messages; and `prefetch`, which bounds
// the counting one request may ask for and counts a request's never-seen texts off the event
// loop (an injected `offload`, e.g. the worker pool) when together they are large. Exact counts
// come from encoders.ts. No I/O.
import { RuncapError } from '../errors.js';
import type { Encoding } from '../pricing/types.js';
import { createCountCache } from './count-cache.js';
import { encodeCount } from './encoders.js';
import { batchTexts, DEFAULT_BATCH_LIMITS, type BatchLimits } from './offload-batches.js';
import type { CountBounds, Prefetched, PrefetchOptions, Tokenizer } from './types.js';

export { encodeCount } from './encoders.js';

export interface TokenizerOptions {
  /** Bound of the count cache, in characters of cached text plus a per-entry overhead. Default 32M. */
  readonly cacheMaxChars?: number;
  /** Texts shorter than this are encoded every time. Default 1 (cache everything: a hit is far cheaper than encoding even "user"). */
  readonly minCachedChars?: number;
  /** Counts a batch of texts off the event loop (worker-pool.ts); used by `prefetch`. Absent: counts stay on the event loop. */
  readonly offload?: (texts: readonly string[], encoding: Encoding) => Promise<readonly number[]>;
  /** `prefetch` offloads a request's never-seen texts when they hold at least this many characters together. Default 16 Ki. */
  readonly offloadMinChars?: number;
  readonly offloadBatch?: BatchLimits;
}

export interface TokenizerStats {
  readonly hits: number;
  readonly misses: number;
  /** Characters of text held by the cache (per-entry overhead not included). */
  readonly cachedChars: number;
}

export interface CachingTokenizer extends Tokenizer {
  stats(): TokenizerStats;
  prefetch(estimate: (probe: Tokenizer) => unknown, options?: PrefetchOptions): Promise<void>;
  prefetchEstimate<T>(estimate: (probe: Tokenizer) => T, options?: PrefetchOptions): Promise<Prefetched<T> | undefined>;
}

export const DEFAULT_CACHE_MAX_CHARS = 32 * 1024 * 1024;
export const DEFAULT_MIN_CACHED_CHARS = 1;
/** ~4K tokens, 1-2 ms of counting on the event loop: below it a worker round trip costs more than it saves. */
export const DEFAULT_OFFLOAD_MIN_CHARS = 16 * 1024;
/** What an entry costs beyond its text (cache slot, entry object), in characters. */
export const CACHE_ENTRY_OVERHEAD_CHARS = 64;

/** Thrown by the probe to stop an estimate as soon as it is over a bound. */
class OverBound extends Error {}

export function createTokenizer(options: TokenizerOptions = {}): CachingTokenizer {
  const maxCost = options.cacheMaxChars ?? DEFAULT_CACHE_MAX_CHARS;
  const minChars = Math.max(1, options.minCachedChars ?? DEFAULT_MIN_CACHED_CHARS);
  const offload = options.offload;
  const offloadMinChars = Math.max(1, options.offloadMinChars ?? DEFAULT_OFFLOAD_MIN_CHARS);
  const batchLimits = options.offloadBatch ?? DEFAULT_BATCH_LIMITS;
  const entryCost = (text: string): number => text.length + CACHE_ENTRY_OVERHEAD_CHARS;
  const cacheable = (text: string): boolean => text.length >= minChars && entryCost(text) <= maxCost;
  const cache =
    maxCost >= 1 + CACHE_ENTRY_OVERHEAD_CHARS ? createCountCache(maxCost, CACHE_ENTRY_OVERHEAD_CHARS) : null;
  /** Offloaded counts in flight, by encoding then text: concurrent calls resending one history share them. */
  const inFlight = new Map<Encoding, Map<string, Promise<void>>>();
  let hits = 0;
  let misses = 0;

  const known = (text: string, encoding: Encoding): boolean => cache?.get(text, false)?.[encoding] !== undefined;

  function count(text: string, encoding: Encoding): number {
    if (cache === null || !cacheable(text)) {
      misses++;
      return encodeCount(text, encoding);
    }
    const cached = cache.get(text, true)?.[encoding];
    if (cached !== undefined) {
      hits++;
      return cached;
    }
    misses++;
    const tokens = encodeCount(text, encoding);
    cache.set(text, encoding, tokens);
    return tokens;
  }

  function offloadBatch(
    run: NonNullable<TokenizerOptions['offload']>,
    texts: readonly string[],
    encoding: Encoding,
    byText: Map<string, Promise<void>>,
  ): Promise<void> {
    const pending = run(texts, encoding).then(
      (counts) => {
        texts.forEach((text, index) => {
          const tokens = counts[index];
          if (tokens !== undefined && !known(text, encoding)) cache?.set(text, encoding, tokens);
        });
      },
      () => undefined, // a failed worker: the synchronous count recounts these on the event loop
    );
    const settled = pending.finally(() => {
      for (const text of texts) byText.delete(text);
    });
    for (const text of texts) byText.set(text, settled);
    return settled;
  }

  /**
   * Runs `estimate` against a probe that answers cached texts from the cache and records the
   * never-seen ones; refuses the request when its texts exceed `bounds`; when the never-seen ones
   * hold at least `offloadMinChars` characters together, counts all of them off the event loop in
   * batches and caches them. A never-seen text is counted by the probe itself, on the event loop,
   * only when the request can no longer reach the offload threshold nor a bound (the body's size
   * bounds what is left): the plan would count it there anyway. When the probe counted every text
   * as `count` does, resolves to what `estimate` returned, so the caller need not run it again;
   * otherwise to undefined (`prefetch` resolves to nothing). Throws only the refusal: anything
   * else it could not do is left to the synchronous count.
   */
  async function prefetchEstimate<T>(
    estimate: (probe: Tokenizer) => T,
    opts: PrefetchOptions = {},
  ): Promise<Prefetched<T> | undefined> {
    const bounds: CountBounds = opts.bounds ?? { maxTexts: Infinity, maxChars: Infinity };
    const most = opts.maxTotalChars ?? Infinity;
    const mayOffload = offload !== undefined && cache !== null && most >= offloadMinChars;
    if (!mayOffload && most <= bounds.maxChars && most <= bounds.maxTexts) return undefined;
    // The body bounds the texts: within both bounds, counting here can never precede a refusal.
    const mayCount = most <= bounds.maxChars && most <= bounds.maxTexts;
    let texts = 0;
    let chars = 0;
    let newChars = 0;
    let exact = true;
    let probeHits = 0;
    let probeMisses = 0;
    const wanted = new Map<Encoding, Set<string>>();
    const probe: Tokenizer = {
      count(text, encoding) {
        texts += 1;
        chars += text.length;
        if (texts > bounds.maxTexts || chars > bounds.maxChars) throw new OverBound();
        const holds = cache !== null && cacheable(text);
        if (holds) {
          const cached = cache.get(text, true)?.[encoding];
          if (cached !== undefined) {
            probeHits += 1;
            return cached;
          }
        }
        // Counted here: a text too short to cache (the plan encodes it every time), and any text once
        // what is left of the request (this text included) cannot bring it to the offload threshold.
        if (mayCount && (text.length < minChars || newChars + most - (chars - text.length) < offloadMinChars)) {
          probeMisses += 1;
          const tokens = encodeCount(text, encoding);
          if (holds) cache.set(text, encoding, tokens);
          return tokens;
        }
        exact = false;
        if (!mayOffload || !holds) return 0;
        let set = wanted.get(encoding);
        if (set === undefined) wanted.set(encoding, (set = new Set()));
        if (!set.has(text)) {
          set.add(text);
          newChars += text.length;
        }
        return 0;
      },
    };
    let estimated: T;
    try {
      estimated = estimate(probe);
    } catch (error) {
      if (error instanceof OverBound) throw overBound(bounds, texts);
      return undefined; // the real estimate reports it
    } finally {
      misses += probeMisses;
    }
    if (exact) {
      hits += probeHits;
      return { estimate: estimated };
    }
    if (offload === undefined || newChars < offloadMinChars) return undefined;
    const running: Promise<void>[] = [];
    for (const [encoding, set] of wanted) {
      let byText = inFlight.get(encoding);
      if (byText === undefined) inFlight.set(encoding, (byText = new Map()));
      const fresh: string[] = [];
      for (const text of set) {
        const shared = byText.get(text);
        if (shared === undefined) fresh.push(text);
        else running.push(shared);
      }
      for (const batch of batchTexts(fresh, batchLimits)) running.push(offloadBatch(offload, batch, encoding, byText));
    }
    await Promise.all(new Set(running));
    return undefined;
  }

  return {
    count,
    prefetch: async (estimate, opts) => {
      await prefetchEstimate(estimate, opts);
    },
    prefetchEstimate,
    stats: () => ({
      hits,
      misses,
      cachedChars: cache === null ? 0 : cache.calculatedSize - cache.size * CACHE_ENTRY_OVERHEAD_CHARS,
    }),
  };
}

function overBound(bounds: CountBounds, texts: number): RuncapError {
  const what =
    texts > bounds.maxTexts
      ? `more than ${bounds.maxTexts} texts to count (messages, content parts, names, tool definitions); the limit is server.max_counted_texts`
      : `more than ${bounds.maxChars} characters of text to count; the limit is server.max_counted_chars`;
  return new RuncapError('request_too_large', `This request has ${what}.`);
}
