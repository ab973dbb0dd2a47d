import { describe, expect, it } from 'vitest';
import { RuncapError } from '../errors.js';
import type { Encoding } from '../pricing/types.js';
import { encodeCount } from './encoders.js';
import { createTokenizer } from './tokenizer.js';
import type { Tokenizer } from './types.js';

function prose(chars: number, seed: number): string {
  const words = ['agent', 'tool', 'call', 'the', 'result', 'of', 'function', 'error', 'file', 'value', 'return'];
  let text = `${seed}: `;
  for (let i = seed; text.length < chars; i++)
    text += (words[(i * 7) % words.length] ?? '') + (i % 13 === 0 ? '.\n' : ' ');
  return text;
}

/** An offload that counts in-thread (after a tick) and records the batches it was handed. */
function recordingOffload(): {
  batches: string[][];
  offload: (texts: readonly string[], encoding: Encoding) => Promise<number[]>;
} {
  const batches: string[][] = [];
  return {
    batches,
    offload: async (texts, encoding) => {
      batches.push([...texts]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return texts.map((text) => encodeCount(text, encoding));
    },
  };
}

const countAll =
  (texts: readonly string[]) =>
  (probe: Tokenizer): number =>
    texts.reduce((sum, text) => sum + probe.count(text, 'o200k_base'), 0);

describe('tokenizer prefetch', () => {
  it('counts all never-seen texts off-thread once together they reach the threshold, small ones too', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    const texts = [prose(600, 1), 'hello there', prose(600, 2), 'hello there'];
    await tokenizer.prefetch(countAll(texts));
    expect(batches).toEqual([[texts[0], 'hello there', texts[2]]]);
    for (const text of texts) expect(tokenizer.count(text, 'o200k_base')).toBe(encodeCount(text, 'o200k_base'));
    expect(tokenizer.stats()).toMatchObject({ hits: 4, misses: 0 });
    // Already cached: a second prefetch hands nothing over.
    await tokenizer.prefetch(countAll(texts));
    expect(batches).toHaveLength(1);
  });

  it('leaves a request whose never-seen texts are small together to the event loop', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    await tokenizer.prefetch(countAll([prose(400, 3), prose(400, 4)]));
    expect(batches).toEqual([]);
  });

  it('shares a request of many medium texts among batches of about the batch size', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({
      offload,
      offloadMinChars: 4096,
      offloadBatch: { maxChars: 10_000, maxTexts: 1000 },
    });
    const texts = Array.from({ length: 40 }, (_, index) => prose(3000, 100 + index));
    await tokenizer.prefetch(countAll(texts));
    expect(batches.length).toBeGreaterThanOrEqual(10);
    expect(batches.flat().sort()).toEqual([...texts].sort());
    for (const batch of batches.slice(0, -1)) expect(batch.join('').length).toBeGreaterThanOrEqual(10_000);
    expect(texts.map((text) => tokenizer.count(text, 'o200k_base'))).toEqual(
      texts.map((text) => encodeCount(text, 'o200k_base')),
    );
    expect(tokenizer.stats().misses).toBe(0);
  });

  it('skips the probe pass when the body is too small to reach the threshold or a bound', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    let probed = false;
    await tokenizer.prefetch(
      () => {
        probed = true;
      },
      { maxTotalChars: 999, bounds: { maxTexts: 1000, maxChars: 1000 } },
    );
    expect(probed).toBe(false);
    await tokenizer.prefetch(countAll([prose(5000, 2)]), { maxTotalChars: 6000 });
    expect(batches).toHaveLength(1);
  });

  it('shares one offloaded count between concurrent prefetches of the same history', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    const history = [prose(3000, 2), prose(4000, 3)];
    await Promise.all([
      tokenizer.prefetch(countAll(history)),
      tokenizer.prefetch(countAll(history)),
      tokenizer.prefetch(countAll(history)),
    ]);
    expect(batches.flat().sort()).toEqual([...history].sort());
  });

  it('keeps counts per encoding', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000 });
    const text = prose(3000, 4);
    await tokenizer.prefetch((probe) => probe.count(text, 'o200k_base') + probe.count(text, 'cl100k_base'));
    expect(batches).toHaveLength(2);
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

    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 1000, cacheMaxChars: 2000 });
    await tokenizer.prefetch(() => {
      throw new Error('malformed');
    });
    await tokenizer.prefetch(countAll([prose(5000, 7)])); // larger than the whole cache
    expect(batches).toEqual([]);
  });
});

describe('tokenizer prefetch bounds', () => {
  const refusal = async (run: Promise<void>): Promise<RuncapError> => {
    const error = await run.then(
      () => null,
      (caught: unknown) => caught,
    );
    if (!(error instanceof RuncapError)) throw new Error(`expected a RuncapError, got ${String(error)}`);
    return error;
  };

  it('refuses a request with more texts than the bound, and stops probing at the bound', async () => {
    const { batches, offload } = recordingOffload();
    const tokenizer = createTokenizer({ offload, offloadMinChars: 10 });
    let probed = 0;
    const manyTexts = (probe: Tokenizer): void => {
      for (let index = 0; index < 100_000; index++) {
        probed++;
        probe.count(`m${index}`, 'o200k_base');
      }
    };
    const error = await refusal(tokenizer.prefetch(manyTexts, { bounds: { maxTexts: 500, maxChars: 1e9 } }));
    expect(error.code).toBe('request_too_large');
    expect(error.status).toBe(413);
    expect(error.message).toMatch(/more than 500 texts.*server\.max_counted_texts/);
    expect(probed).toBe(501);
    expect(batches).toEqual([]);
  });

  it('refuses a request with more characters than the bound, without an offload too', async () => {
    const tokenizer = createTokenizer();
    const texts = [prose(3000, 1), prose(3000, 2)];
    const error = await refusal(tokenizer.prefetch(countAll(texts), { bounds: { maxTexts: 10, maxChars: 5000 } }));
    expect(error.message).toMatch(/more than 5000 characters.*server\.max_counted_chars/);
    const atBound = texts.join('').length;
    await expect(
      tokenizer.prefetch(countAll(texts), { bounds: { maxTexts: 2, maxChars: atBound } }),
    ).resolves.toBeUndefined();
  });
});
