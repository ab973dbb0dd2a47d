// Exact token counts with gpt-tokenizer (pure JavaScript BPE, 4-5x faster than tiktoken's WASM
// here; with gpt-tokenizer-fixes.ts its counts equal tiktoken's, which tokenizer-oracle.test.ts
// holds it to). One encoder per encoding per
// thread, loaded on first use (o200k_base: ~0.2 s). Special-token text such as "<|endoftext|>"
// in user content is counted as ordinary text, as the provider does. Texts are not cached here
// (tokenizer.ts); pre-tokens are: the split and the count per pre-token are gpt-tokenizer's own
// (`countNative` with no special tokens allowed), with a small cache of the counts of short
// pre-tokens in front of its 200K-entry rank table, whose lookups miss the CPU caches.
import { createRequire } from 'node:module';
import type { Encoding } from '../pricing/types.js';
import { fixEncoder } from './gpt-tokenizer-fixes.js';
import { splitForEncoding } from './text-chunks.js';

interface EncodeOptions {
  readonly disallowedSpecial: Set<string>;
}

interface EncoderCore {
  readonly tokenSplitRegex: RegExp;
  getBpeRankFromString(piece: string): number | undefined;
  bytePairEncode(piece: string): readonly number[];
}

interface EncodingApi {
  countTokens(text: string, options: EncodeOptions): number;
  setMergeCacheSize(size: number): void;
  readonly bytePairEncodingCoreProcessor: EncoderCore;
}

/** Nothing is a special token: "<|endoftext|>" in a message is text (tiktoken's `encode_ordinary`). */
const ORDINARY: EncodeOptions = { disallowedSpecial: new Set() };

/** Pre-tokens up to this long have their count cached (common words and their spacing). */
export const PIECE_CACHE_MAX_CHARS = 32;
/** Pre-token counts cached per encoding; the cache starts over when full (at most ~1 MB). */
export const PIECE_CACHE_ENTRIES = 16_384;

interface Counter {
  readonly api: EncodingApi;
  readonly core: EncoderCore;
  /** The split pattern (global), owned here so that its lastIndex is ours. */
  readonly split: RegExp;
  /** The same pattern, sticky. */
  readonly sticky: RegExp;
  readonly pieces: Map<string, number>;
}

/**
 * Entries of gpt-tokenizer's own merge cache per encoding (its default is 100,000). A pre-token
 * can be a few hundred characters (text-chunks.ts), so this bounds what the cache can hold.
 */
export const MERGE_CACHE_ENTRIES = 20_000;

// The package's CommonJS build, so an encoder loads synchronously and only when first needed.
const require = createRequire(import.meta.url);
const encoders = new Map<Encoding, Counter>();

function load(encoding: Encoding): Counter {
  // The module's default export is the encoder object itself (its named exports are bound methods).
  const api = (require(`gpt-tokenizer/encoding/${encoding}`) as { default: EncodingApi }).default;
  fixEncoder(api, encoding);
  api.setMergeCacheSize(MERGE_CACHE_ENTRIES);
  const core = api.bytePairEncodingCoreProcessor;
  if (!core.tokenSplitRegex.global) throw new Error(`gpt-tokenizer ${encoding}: the split pattern is not global`);
  const split = new RegExp(core.tokenSplitRegex);
  const sticky = new RegExp(split.source, split.flags.replace('g', '') + 'y');
  return { api, core, split, sticky, pieces: new Map() };
}

function encoderFor(encoding: Encoding): Counter {
  let encoder = encoders.get(encoding);
  if (encoder === undefined) {
    encoder = load(encoding);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

/** Tokens in `text` under `encoding`, uncached; never throws on special-token text. */
export function encodeCount(text: string, encoding: Encoding): number {
  if (text.length === 0) return 0;
  const encoder = encoderFor(encoding);
  let tokens = 0;
  for (const chunk of splitForEncoding(text)) tokens += countChunk(encoder, chunk);
  return tokens;
}

/**
 * gpt-tokenizer's `countNative` with no special tokens allowed (what `countTokens` runs for
 * ORDINARY): one token for a pre-token that is a token, else the length of its byte-pair encoding.
 * Pre-tokens are matched where the previous one ended (sticky: no match array, no search); where
 * nothing matches there, the global pattern finds the next one, as matchAll would.
 */
function countChunk(encoder: Counter, text: string): number {
  const { core, split, sticky, pieces } = encoder;
  let tokens = 0;
  let at = 0;
  while (at < text.length) {
    let start = at;
    let end: number;
    sticky.lastIndex = at;
    if (sticky.test(text)) end = sticky.lastIndex;
    else {
      split.lastIndex = at;
      const match = split.exec(text);
      if (match === null) break;
      start = match.index;
      end = start + match[0].length;
    }
    if (end === start) {
      // An empty match (never for tiktoken's patterns) counts nothing; step on as matchAll would.
      at = end + ((text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1);
      continue;
    }
    at = end;
    const short = end - start <= PIECE_CACHE_MAX_CHARS;
    const piece = text.slice(start, end);
    const cached = short ? pieces.get(piece) : undefined;
    if (cached !== undefined) {
      tokens += cached;
      continue;
    }
    const count = core.getBpeRankFromString(piece) !== undefined ? 1 : core.bytePairEncode(piece).length;
    if (short) {
      if (pieces.size >= PIECE_CACHE_ENTRIES) pieces.clear();
      pieces.set(piece, count);
    }
    tokens += count;
  }
  return tokens;
}

/** gpt-tokenizer's own count of `text` (no chunking, no piece cache): for tests. */
export function libraryCount(text: string, encoding: Encoding): number {
  return encoderFor(encoding).api.countTokens(text, ORDINARY);
}

/** Loads the encoders now (start-up), not on the first call that needs them. */
export function loadEncoders(encodings: Iterable<Encoding>): void {
  for (const encoding of encodings) encoderFor(encoding);
}
