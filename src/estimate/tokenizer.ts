// Token counting with tiktoken: one encoder per encoding for the whole process
// (created on first use, never per request) and an LRU cache of counts by text, so
// an agent loop that resends its history pays only for its new messages. Large
// never-seen texts can be counted off the event loop first (`prefetch` + an injected
// `offload`, e.g. the worker pool), so the synchronous count that follows hits the cache. No I/O.
import { get_encoding, type Tiktoken } from 'tiktoken';
import type { Encoding } from '../pricing/types.js';
import { splitForEncoding } from './text-chunks.js';
import type { Tokenizer } from './types.js';

export interface TokenizerOptions {
  /** Bound of the count cache, in characters of cached text plus a per-entry overhead. Default 32M. */
  readonly cacheMaxChars?: number;
  /** Texts shorter than this are encoded every time. Default 1 (cache everything: a cache hit is ~100x cheaper than encoding even "user"). */
  readonly minCachedChars?: number;
  /** Counts a text off the event loop (worker-pool.ts); used by `prefetch`. Absent: prefetch does nothing. */
  readonly offload?: (text: string, encoding: Encoding) => Promise<number>;
  /** `prefetch` offloads uncached texts of at least this many characters. Default 4096 (~1K tokens, a millisecond or more of encoding). */
  readonly offloadMinChars?: number;
}

export interface TokenizerStats {
  readonly hits: number;
  readonly misses: number;
  /** Characters of text held by the cache (per-entry overhead not included). */
  readonly cachedChars: number;
}

export interface CachingTokenizer extends Tokenizer {
  stats(): TokenizerStats;
  prefetch(estimate: (probe: Tokenizer) => unknown, maxTextChars?: number): Promise<void>;
}

export const DEFAULT_CACHE_MAX_CHARS = 32 * 1024 * 1024;
export const DEFAULT_MIN_CACHED_CHARS = 1;
export const DEFAULT_OFFLOAD_MIN_CHARS = 4096;
/** What an entry costs beyond its text (Map slot, entry object), in characters. */
export const CACHE_ENTRY_OVERHEAD_CHARS = 64;

const encoders = new Map<Encoding, Tiktoken>();

function encoderFor(encoding: Encoding): Tiktoken {
  let encoder = encoders.get(encoding);
  if (encoder === undefined) {
    encoder = get_encoding(encoding);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

/**
 * Tokens in `text`, uncached. Special-token text such as "<|endoftext|>" in user
 * content is counted as ordinary text (as the provider does), never thrown on.
 */
export function encodeCount(text: string, encoding: Encoding): number {
  if (text.length === 0) return 0;
  const encoder = encoderFor(encoding);
  let tokens = 0;
  for (const chunk of splitForEncoding(text)) tokens += encoder.encode_ordinary(chunk).length;
  return tokens;
}

type Counts = Partial<Record<Encoding, number>>;

interface Entry {
  readonly counts: Counts;
}

export function createTokenizer(options: TokenizerOptions = {}): CachingTokenizer {
  const maxCost = options.cacheMaxChars ?? DEFAULT_CACHE_MAX_CHARS;
  const minChars = Math.max(1, options.minCachedChars ?? DEFAULT_MIN_CACHED_CHARS);
  const offload = options.offload;
  const offloadMinChars = Math.max(1, options.offloadMinChars ?? DEFAULT_OFFLOAD_MIN_CHARS);
  // Insertion order is recency order: a hit deletes and re-inserts its entry.
  const cache = new Map<string, Entry>();
  /** Offloaded counts in flight, by encoding then text: concurrent calls resending one history share them. */
  const inFlight = new Map<Encoding, Map<string, Promise<void>>>();
  let cost = 0;
  let cachedChars = 0;
  let hits = 0;
  let misses = 0;

  const entryCost = (text: string): number => text.length + CACHE_ENTRY_OVERHEAD_CHARS;
  const cacheable = (text: string): boolean => text.length >= minChars && entryCost(text) <= maxCost;

  function evict(): void {
    for (const [text] of cache) {
      if (cost <= maxCost) return;
      cache.delete(text);
      cost -= entryCost(text);
      cachedChars -= text.length;
    }
  }

  function store(text: string, encoding: Encoding, tokens: number, entry: Entry | undefined): void {
    if (entry !== undefined) {
      entry.counts[encoding] = tokens;
      return;
    }
    cache.set(text, { counts: { [encoding]: tokens } });
    cost += entryCost(text);
    cachedChars += text.length;
    evict();
  }

  function count(text: string, encoding: Encoding): number {
    if (!cacheable(text)) {
      misses++;
      return encodeCount(text, encoding);
    }
    const entry = cache.get(text);
    const cached = entry?.counts[encoding];
    if (entry !== undefined) {
      cache.delete(text);
      cache.set(text, entry);
    }
    if (cached !== undefined) {
      hits++;
      return cached;
    }
    misses++;
    const tokens = encodeCount(text, encoding);
    store(text, encoding, tokens, entry);
    return tokens;
  }

  function countOffThread(
    run: (text: string, encoding: Encoding) => Promise<number>,
    text: string,
    encoding: Encoding,
  ): Promise<void> {
    let byText = inFlight.get(encoding);
    if (byText === undefined) inFlight.set(encoding, (byText = new Map()));
    const running = byText.get(text);
    if (running !== undefined) return running;
    const pending = run(text, encoding).then(
      (tokens) => {
        if (cache.get(text)?.counts[encoding] === undefined) store(text, encoding, tokens, cache.get(text));
      },
      () => undefined, // a failed worker: the synchronous count recounts it on the event loop
    );
    const settled = pending.finally(() => byText.delete(text));
    byText.set(text, settled);
    return settled;
  }

  /**
   * Runs `estimate` against a probe that only records which texts it would count, then
   * counts the large uncached ones off the event loop and caches them. Never throws:
   * anything it could not do is left to the synchronous count.
   */
  async function prefetch(
    estimate: (probe: Tokenizer) => unknown,
    maxTextChars = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    if (offload === undefined || maxTextChars < offloadMinChars) return;
    const wanted: [string, Encoding][] = [];
    const probe: Tokenizer = {
      count(text, encoding) {
        if (text.length >= offloadMinChars && cacheable(text) && cache.get(text)?.counts[encoding] === undefined)
          wanted.push([text, encoding]);
        return 0;
      },
    };
    try {
      estimate(probe);
    } catch {
      return; // the real estimate reports it
    }
    if (wanted.length === 0) return;
    await Promise.all(wanted.map(([text, encoding]) => countOffThread(offload, text, encoding)));
  }

  return {
    count,
    prefetch,
    stats: () => ({ hits, misses, cachedChars }),
  };
}
