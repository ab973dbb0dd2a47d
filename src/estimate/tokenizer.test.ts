import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { encodeCount, libraryCount, PIECE_CACHE_ENTRIES } from './encoders.js';
import { CACHE_ENTRY_OVERHEAD_CHARS, createTokenizer } from './tokenizer.js';

function prose(chars: number): string {
  const words = ['agent', 'tool', 'call', 'the', 'result', 'of', 'function', 'error', 'file', 'value', 'return'];
  let text = '';
  for (let i = 0; text.length < chars; i++)
    text += (words[(i * 7) % words.length] ?? '') + (i % 13 === 0 ? '.\n' : ' ');
  return text;
}

describe('encodeCount', () => {
  it('counts known strings', () => {
    expect(encodeCount('Hello!', 'o200k_base')).toBe(2);
    expect(encodeCount('You are a helpful assistant.', 'cl100k_base')).toBe(6);
    expect(encodeCount('tiktoken is great!', 'cl100k_base')).toBe(6);
    expect(encodeCount('', 'o200k_base')).toBe(0);
  });

  it('counts special-token text as ordinary text instead of throwing', () => {
    expect(encodeCount('<|endoftext|>', 'o200k_base')).toBe(7);
    expect(encodeCount('a <|endoftext|> b', 'cl100k_base')).toBeGreaterThan(3);
  });

  it('matches the oracle exactly on long prose (one call, no chunking)', () => {
    const text = prose(200_000);
    expect(encodeCount(text, 'o200k_base')).toBe(get_encoding('o200k_base').encode_ordinary(text).length);
  });

  it('counts pathological single pre-tokens in bounded pieces, close to the exact count', () => {
    // Exact counts measured on these inputs with tiktoken: 'a' x 8 per token; CJK ~1 per char.
    const letters = encodeCount('a'.repeat(200_000), 'o200k_base');
    expect(letters).toBeGreaterThanOrEqual(25_000);
    expect(letters).toBeLessThanOrEqual(25_000 * 1.02);
    expect(encodeCount('誕生日おめでとう'.repeat(12_500), 'o200k_base')).toBeGreaterThanOrEqual(80_000);
    expect(encodeCount(' '.repeat(100_000), 'o200k_base')).toBeGreaterThan(0);
  });
});

describe('createTokenizer', () => {
  it('serves a repeated text from the cache', () => {
    const tokenizer = createTokenizer();
    const text = prose(5_000);
    const first = tokenizer.count(text, 'o200k_base');
    expect(tokenizer.stats()).toEqual({ hits: 0, misses: 1, cachedChars: text.length });
    expect(tokenizer.count(text, 'o200k_base')).toBe(first);
    expect(tokenizer.count(`${text}`, 'o200k_base')).toBe(first);
    expect(tokenizer.stats()).toEqual({ hits: 2, misses: 1, cachedChars: text.length });
  });

  it('keeps one entry per text with a count per encoding', () => {
    const tokenizer = createTokenizer();
    const text = 'You are a helpful assistant.';
    expect(tokenizer.count(text, 'o200k_base')).toBe(6);
    expect(tokenizer.count(text, 'cl100k_base')).toBe(6);
    expect(tokenizer.count(text, 'o200k_base')).toBe(6);
    expect(tokenizer.stats()).toEqual({ hits: 1, misses: 2, cachedChars: text.length });
  });

  it('evicts the least recently used text when over the character budget', () => {
    const entry = 100 + CACHE_ENTRY_OVERHEAD_CHARS;
    const tokenizer = createTokenizer({ cacheMaxChars: entry * 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((letter) => `${letter} `.repeat(50));
    if (a === undefined || b === undefined || c === undefined) throw new Error('fixture');
    tokenizer.count(a, 'o200k_base');
    tokenizer.count(b, 'o200k_base');
    tokenizer.count(a, 'o200k_base'); // a is now the most recent
    tokenizer.count(c, 'o200k_base'); // evicts b
    expect(tokenizer.stats()).toEqual({ hits: 1, misses: 3, cachedChars: 200 });
    tokenizer.count(a, 'o200k_base');
    tokenizer.count(c, 'o200k_base');
    expect(tokenizer.stats().hits).toBe(3);
    tokenizer.count(b, 'o200k_base');
    expect(tokenizer.stats()).toEqual({ hits: 3, misses: 4, cachedChars: 200 });
  });

  it('does not cache texts below minCachedChars or above the whole budget', () => {
    const tokenizer = createTokenizer({ cacheMaxChars: 1000, minCachedChars: 10 });
    tokenizer.count('short', 'o200k_base');
    tokenizer.count('short', 'o200k_base');
    tokenizer.count('x '.repeat(1000), 'o200k_base');
    tokenizer.count('x '.repeat(1000), 'o200k_base');
    expect(tokenizer.stats()).toEqual({ hits: 0, misses: 4, cachedChars: 0 });
  });

  it('caches short strings by default (a hit is far cheaper than encoding)', () => {
    const tokenizer = createTokenizer();
    tokenizer.count('user', 'o200k_base');
    expect(tokenizer.count('user', 'o200k_base')).toBe(1);
    expect(tokenizer.stats()).toEqual({ hits: 1, misses: 1, cachedChars: 4 });
  });

  it('keeps hits O(1): 100K distinct tiny texts, each counted twice, all hit the second time', () => {
    // The hand-written LRU deleted and re-inserted a Map entry on every hit; V8's Map degraded
    // and this took tens of seconds. Asserted on values: every second count is a hit.
    const tokenizer = createTokenizer();
    const texts = Array.from({ length: 100_000 }, (_, index) => `m${index}`);
    const first = texts.map((text) => tokenizer.count(text, 'o200k_base'));
    const second = texts.map((text) => tokenizer.count(text, 'o200k_base'));
    expect(second).toEqual(first);
    expect(tokenizer.stats()).toMatchObject({ hits: 100_000, misses: 100_000 });
  });

  it('a disabled cache still counts correctly', () => {
    const tokenizer = createTokenizer({ cacheMaxChars: 0 });
    expect(tokenizer.count('Hello!', 'o200k_base')).toBe(2);
    expect(tokenizer.count('Hello!', 'o200k_base')).toBe(2);
    expect(tokenizer.stats()).toEqual({ hits: 0, misses: 2, cachedChars: 0 });
  });
});

describe('encodeCount piece cache', () => {
  it('counts what gpt-tokenizer counts, across cache refills', () => {
    // More distinct short pre-tokens than the piece cache holds, each seen twice: the cache
    // fills, starts over and is hit; every count equals the library's own.
    const words = Array.from({ length: PIECE_CACHE_ENTRIES + 500 }, (_, index) => `w${index.toString(36)}x`);
    const text = `${words.join(' ')} ${words.join(' ')}`;
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      expect(encodeCount(text, encoding)).toBe(libraryCount(text, encoding));
      expect(encodeCount(text, encoding)).toBe(libraryCount(text, encoding));
    }
    const mixed = `${prose(3_000)} 日本語のテキスト 😀😀 ${'x'.repeat(40)} \uFEFF// done`;
    expect(encodeCount(mixed, 'o200k_base')).toBe(libraryCount(mixed, 'o200k_base'));
  });
});
