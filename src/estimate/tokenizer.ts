// Token counting with tiktoken: one encoder per encoding for the whole process
// (created on first use, never per request) and an LRU cache of counts by text, so
// an agent loop that resends its history pays only for its new messages. No I/O.
import { get_encoding, type Tiktoken } from 'tiktoken';
import type { Encoding } from '../pricing/types.js';
import { splitForEncoding } from './text-chunks.js';
import type { Tokenizer } from './types.js';

export interface TokenizerOptions {
  /** Bound of the count cache, in characters of cached text plus a per-entry overhead. Default 32M. */
  readonly cacheMaxChars?: number;
  /** Texts shorter than this are encoded every time. Default 1 (cache everything: a cache hit is ~100x cheaper than encoding even "user"). */
  readonly minCachedChars?: number;
}

export interface TokenizerStats {
  readonly hits: number;
  readonly misses: number;
  /** Characters of text held by the cache (per-entry overhead not included). */
  readonly cachedChars: number;
}

export interface CachingTokenizer extends Tokenizer {
  stats(): TokenizerStats;
}

export const DEFAULT_CACHE_MAX_CHARS = 32 * 1024 * 1024;
export const DEFAULT_MIN_CACHED_CHARS = 1;
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
  // Insertion order is recency order: a hit deletes and re-inserts its entry.
  const cache = new Map<string, Entry>();
  let cost = 0;
  let cachedChars = 0;
  let hits = 0;
  let misses = 0;

  const entryCost = (text: string): number => text.length + CACHE_ENTRY_OVERHEAD_CHARS;

  function evict(): void {
    for (const [text] of cache) {
      if (cost <= maxCost) return;
      cache.delete(text);
      cost -= entryCost(text);
      cachedChars -= text.length;
    }
  }

  function count(text: string, encoding: Encoding): number {
    if (text.length < minChars || entryCost(text) > maxCost) {
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
    if (entry !== undefined) {
      entry.counts[encoding] = tokens;
    } else {
      cache.set(text, { counts: { [encoding]: tokens } });
      cost += entryCost(text);
      cachedChars += text.length;
      evict();
    }
    return tokens;
  }

  return {
    count,
    stats: () => ({ hits, misses, cachedChars }),
  };
}
