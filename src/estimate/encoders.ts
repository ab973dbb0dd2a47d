// Exact token counts with gpt-tokenizer (pure JavaScript BPE, 4-5x faster than tiktoken's WASM
// here; with gpt-tokenizer-fixes.ts its counts equal tiktoken's, which tokenizer-oracle.test.ts
// holds it to). One encoder per encoding per
// thread, loaded on first use (o200k_base: ~0.2 s). Special-token text such as "<|endoftext|>"
// in user content is counted as ordinary text, as the provider does. No cache here (tokenizer.ts).
import { createRequire } from 'node:module';
import type { Encoding } from '../pricing/types.js';
import { fixEncoder } from './gpt-tokenizer-fixes.js';
import { splitForEncoding } from './text-chunks.js';

interface EncodeOptions {
  readonly disallowedSpecial: Set<string>;
}

interface EncodingApi {
  countTokens(text: string, options: EncodeOptions): number;
  setMergeCacheSize(size: number): void;
}

/** Nothing is a special token: "<|endoftext|>" in a message is text (tiktoken's `encode_ordinary`). */
const ORDINARY: EncodeOptions = { disallowedSpecial: new Set() };

/**
 * Entries of gpt-tokenizer's own merge cache per encoding (its default is 100,000). A pre-token
 * can be a few hundred characters (text-chunks.ts), so this bounds what the cache can hold.
 */
export const MERGE_CACHE_ENTRIES = 20_000;

// The package's CommonJS build, so an encoder loads synchronously and only when first needed.
const require = createRequire(import.meta.url);
const encoders = new Map<Encoding, EncodingApi>();

function load(encoding: Encoding): EncodingApi {
  // The module's default export is the encoder object itself (its named exports are bound methods).
  const api = (require(`gpt-tokenizer/encoding/${encoding}`) as { default: EncodingApi }).default;
  fixEncoder(api, encoding);
  api.setMergeCacheSize(MERGE_CACHE_ENTRIES);
  return api;
}

function encoderFor(encoding: Encoding): EncodingApi {
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
  for (const chunk of splitForEncoding(text)) tokens += encoder.countTokens(chunk, ORDINARY);
  return tokens;
}

/** Loads the encoders now (start-up), not on the first call that needs them. */
export function loadEncoders(encodings: Iterable<Encoding>): void {
  for (const encoding of encodings) encoderFor(encoding);
}
