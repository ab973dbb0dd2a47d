// The tokenizer's cache of token counts by text (LRU, bounded by characters), looked up without
// hashing whole texts. A JSON body is parsed into new string objects on every request, so a cache
// keyed by the text itself makes V8 hash every resent text in full on every call (one-at-a-time,
// a few cycles a character: ~0.3 ms a step of a 222 KB agent history here). A text of at least
// FINGERPRINT_MIN_CHARS is keyed instead by a fingerprint of its length and ~48 sampled characters,
// and the entry keeps the text: a hit is confirmed by comparing the texts (a native memory
// compare), so a count is only ever served for the very same text. A text whose fingerprint
// another text holds is keyed by itself, as before, so texts made to collide cost no more than
// hashing them did. Shorter texts are keyed by themselves (hashing them is cheap). Pure.
import { LRUCache } from 'lru-cache';
import type { Encoding } from '../pricing/types.js';

export type Counts = Partial<Record<Encoding, number>>;

interface Entry {
  readonly text: string;
  readonly counts: Counts;
}

export interface CountCache {
  /** The counts cached for exactly this text; `touch` makes it the most recently used. */
  get(text: string, touch: boolean): Counts | undefined;
  /** Records a count (adding to the text's entry when it has one). */
  set(text: string, encoding: Encoding, tokens: number): void;
  /** Entries held. */
  readonly size: number;
  /** Characters of cached text plus `entryOverheadChars` per entry. */
  readonly calculatedSize: number;
}

/** Texts shorter than this are keyed by themselves. */
export const FINGERPRINT_MIN_CHARS = 64;
/** Characters sampled evenly over a text, besides the first and last SAMPLED_ENDS. */
const SAMPLES = 32;
const SAMPLED_ENDS = 8;

/**
 * 32 bits over the length, the first and last 8 characters and 32 evenly spaced ones (FNV-1a
 * mixing). Two texts with the same fingerprint are told apart by comparing them.
 */
export function fingerprint(text: string): number {
  const length = text.length;
  let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  for (let index = 0; index < SAMPLED_ENDS; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
    hash = Math.imul(hash ^ text.charCodeAt(length - 1 - index), 0x01000193);
  }
  const stride = length / SAMPLES;
  for (let sample = 0; sample < SAMPLES; sample += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(Math.floor(sample * stride)), 0x01000193);
  }
  return hash | 0;
}

export function createCountCache(maxChars: number, entryOverheadChars: number): CountCache {
  // lru-cache keeps recency in index arrays: a hit moves no Map entry (a hand-written LRU that
  // deleted and re-inserted on every hit made V8's Map degrade: 231K tiny messages took 22.7 s).
  const lru = new LRUCache<number | string, Entry>({
    maxSize: maxChars,
    sizeCalculation: (entry) => entry.text.length + entryOverheadChars,
  });
  const read = (key: number | string, touch: boolean): Entry | undefined => (touch ? lru.get(key) : lru.peek(key));

  function get(text: string, touch: boolean): Counts | undefined {
    if (text.length < FINGERPRINT_MIN_CHARS) return read(text, touch)?.counts;
    const entry = read(fingerprint(text), touch);
    if (entry === undefined) return undefined;
    if (entry.text === text) return entry.counts;
    return read(text, touch)?.counts; // its fingerprint belongs to another text
  }

  function set(text: string, encoding: Encoding, tokens: number): void {
    let key: number | string = text;
    if (text.length >= FINGERPRINT_MIN_CHARS) {
      const print = fingerprint(text);
      const holder = lru.peek(print);
      if (holder === undefined || holder.text === text) key = print;
    }
    const entry = lru.peek(key);
    if (entry !== undefined) entry.counts[encoding] = tokens;
    else lru.set(key, { text, counts: { [encoding]: tokens } });
  }

  return {
    get,
    set,
    get size() {
      return lru.size;
    },
    get calculatedSize() {
      return lru.calculatedSize;
    },
  };
}
