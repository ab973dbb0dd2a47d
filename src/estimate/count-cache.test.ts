import { describe, expect, it } from 'vitest';
import { createCountCache, fingerprint, FINGERPRINT_MIN_CHARS } from './count-cache.js';

/** `base` with the character at `at` replaced by `char`. */
function withCharAt(base: string, at: number, char: string): string {
  return base.slice(0, at) + char + base.slice(at + 1);
}

/** A position of `text` the fingerprint does not sample (it samples ~48 of 5,000). */
function unsampledPosition(text: string): number {
  for (let at = 100; at < text.length - 100; at += 1) {
    if (fingerprint(withCharAt(text, at, '\u0001')) === fingerprint(text)) return at;
  }
  throw new Error('fixture: every position sampled');
}

const base = 'tool output: '.repeat(400).slice(0, 5_000);

describe('count cache', () => {
  it('serves a count only for the same text, not for another text with the same fingerprint', () => {
    const at = unsampledPosition(base);
    const other = withCharAt(base, at, '\u0001');
    expect(fingerprint(other)).toBe(fingerprint(base));
    const cache = createCountCache(1_000_000, 64);
    cache.set(base, 'o200k_base', 1000);
    expect(cache.get(other, true)).toBeUndefined();
    cache.set(other, 'o200k_base', 1001);
    expect(cache.get(base, true)).toEqual({ o200k_base: 1000 });
    expect(cache.get(other, true)).toEqual({ o200k_base: 1001 });
    // A copy of the text (a new string object, as JSON.parse makes) hits.
    expect(cache.get(`${base.slice(0, 10)}${base.slice(10)}`, false)).toEqual({ o200k_base: 1000 });
    expect(cache.size).toBe(2);
  });

  it('keeps many colliding texts apart (each keyed by itself)', () => {
    const at = unsampledPosition(base);
    const texts = Array.from({ length: 50 }, (_, index) => withCharAt(base, at, String.fromCharCode(0x100 + index)));
    expect(new Set(texts.map(fingerprint)).size).toBe(1);
    const cache = createCountCache(10_000_000, 64);
    texts.forEach((text, index) => cache.set(text, 'cl100k_base', index));
    texts.forEach((text, index) => expect(cache.get(text, false)).toEqual({ cl100k_base: index }));
  });

  it('adds a second encoding to the same entry', () => {
    const cache = createCountCache(1_000_000, 64);
    cache.set(base, 'o200k_base', 10);
    cache.set(base, 'cl100k_base', 11);
    expect(cache.get(base, false)).toEqual({ o200k_base: 10, cl100k_base: 11 });
    expect(cache.size).toBe(1);
    expect(cache.calculatedSize).toBe(base.length + 64);
  });

  it('keys short texts by themselves and long ones by fingerprint, both bounded by characters', () => {
    const cache = createCountCache(3 * (FINGERPRINT_MIN_CHARS + 64), 64);
    const long = (letter: string): string => letter.repeat(FINGERPRINT_MIN_CHARS);
    cache.set('user', 'o200k_base', 1);
    cache.set(long('a'), 'o200k_base', 8);
    cache.set(long('b'), 'o200k_base', 8);
    cache.set(long('c'), 'o200k_base', 8); // evicts the least recently used: 'user'
    expect(cache.get('user', false)).toBeUndefined();
    expect(cache.get(long('a'), true)).toEqual({ o200k_base: 8 });
    cache.set(long('d'), 'o200k_base', 8); // evicts b (a was touched)
    expect(cache.get(long('b'), false)).toBeUndefined();
    expect(cache.get(long('a'), false)).toEqual({ o200k_base: 8 });
    expect(cache.calculatedSize).toBeLessThanOrEqual(3 * (FINGERPRINT_MIN_CHARS + 64));
  });

  it('fingerprints differ for texts that differ in length or in a sampled character', () => {
    expect(fingerprint(base)).not.toBe(fingerprint(base.slice(1)));
    expect(fingerprint(base)).not.toBe(fingerprint(withCharAt(base, 0, 'X')));
    expect(fingerprint(base)).not.toBe(fingerprint(withCharAt(base, base.length - 1, 'X')));
  });
});
