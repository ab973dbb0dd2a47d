import { describe, expect, it } from 'vitest';
import type { Encoding } from '../pricing/types.js';
import { createTokenizer, encodeCount } from './tokenizer.js';
import type { Tokenizer } from './types.js';

function prose(chars: number, seed: number): string {
  const words = ['agent', 'tool', 'call', 'the', 'result', 'of', 'function', 'error', 'file', 'value', 'return'];
  let text = '';
  for (let i = seed; text.length < chars; i++)
    text += (words[(i * 7) % words.length] ?? '') + (i % 13 === 0 ? '.\n' : ' ');
  return text;
}

/** An offload that counts in-thread (after a tick) and records what it was handed. */
function recordingOffload(): { calls: string[]; offload: (text: string, encoding: Encoding) => Promise<number> } {
  const calls: string[] = [];
  return {
    calls,
    offload: async (text, encoding) => {
      calls.push(text);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return encodeCount(text, encoding);
    },
  };
}

const countAll =
  (texts: readonly string[]) =>
  (probe: Tokenizer): number =>
    texts.reduce((sum, text) => sum + probe.count(text, 'o200k_base'), 0);

describe('tokenizer prefetch', () => {
  it('counts only the large uncached texts off-thread, then the real count hits the cache with the same result', async () => {
    const { calls, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    const large = prose(5000, 1);
    const small = 'hello there';
    await tokenizer.prefetch(countAll([small, large]));
    expect(calls).toEqual([large]);
    expect(tokenizer.stats()).toEqual({ hits: 0, misses: 0, cachedChars: large.length });
    expect(tokenizer.count(large, 'o200k_base')).toBe(encodeCount(large, 'o200k_base'));
    expect(tokenizer.stats().hits).toBe(1);
    // Already cached: a second prefetch hands nothing over.
    await tokenizer.prefetch(countAll([small, large]));
    expect(calls).toHaveLength(1);
  });

  it('skips the probe pass when no counted text can reach the offload threshold', async () => {
    const { calls, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    let probed = false;
    await tokenizer.prefetch(() => {
      probed = true;
    }, 999);
    expect(probed).toBe(false);
    await tokenizer.prefetch(countAll([prose(5000, 2)]), 6000);
    expect(calls).toHaveLength(1);
  });

  it('shares one offloaded count between concurrent prefetches of the same history', async () => {
    const { calls, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    const history = [prose(3000, 2), prose(4000, 3)];
    await Promise.all([
      tokenizer.prefetch(countAll(history)),
      tokenizer.prefetch(countAll(history)),
      tokenizer.prefetch(countAll(history)),
    ]);
    expect(calls.sort()).toEqual([...history].sort());
  });

  it('keeps counts per encoding', async () => {
    const { calls, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    const text = prose(3000, 4);
    await tokenizer.prefetch((probe) => probe.count(text, 'o200k_base') + probe.count(text, 'cl100k_base'));
    expect(calls).toHaveLength(2);
    expect(tokenizer.count(text, 'cl100k_base')).toBe(encodeCount(text, 'cl100k_base'));
    expect(tokenizer.count(text, 'o200k_base')).toBe(encodeCount(text, 'o200k_base'));
    expect(tokenizer.stats()).toMatchObject({ hits: 2, misses: 0 });
  });

  it('falls back to counting on the event loop when the offload fails', async () => {
    const tokenizer = createTokenizer({
      offload: () => Promise.reject(new Error('worker died')),
      offloadMinChars: 1000,
    });
    const text = prose(3000, 5);
    await expect(tokenizer.prefetch(countAll([text]))).resolves.toBeUndefined();
    expect(tokenizer.count(text, 'o200k_base')).toBe(encodeCount(text, 'o200k_base'));
    expect(tokenizer.stats()).toMatchObject({ hits: 0, misses: 1 });
  });

  it('does nothing without an offload, or when the estimate throws, or for texts the cache cannot hold', async () => {
    const plain = createTokenizer();
    await plain.prefetch(countAll([prose(5000, 6)]));
    expect(plain.stats().cachedChars).toBe(0);

    const { calls, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000, cacheMaxChars: 2000 });
    await tokenizer.prefetch(() => {
      throw new Error('malformed');
    });
    await tokenizer.prefetch(countAll([prose(5000, 7)])); // larger than the whole cache
    expect(calls).toEqual([]);
  });
});
