import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchTexts } from './offload-batches.js';

describe('batchTexts', () => {
  it('closes a batch at the character or text limit', () => {
    expect(batchTexts(['aaaa', 'bb', 'cccc', 'd'], { maxChars: 5, maxTexts: 10 })).toEqual([
      ['aaaa', 'bb'],
      ['cccc', 'd'],
    ]);
    expect(batchTexts(['a', 'b', 'c'], { maxChars: 100, maxTexts: 2 })).toEqual([['a', 'b'], ['c']]);
    expect(batchTexts([], { maxChars: 5, maxTexts: 2 })).toEqual([]);
  });

  it('keeps every text once, in order, and every batch but the last at a limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30 })),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 8 }),
        (texts, maxChars, maxTexts) => {
          const batches = batchTexts(texts, { maxChars, maxTexts });
          expect(batches.flat()).toEqual(texts);
          for (const batch of batches.slice(0, -1))
            expect(batch.join('').length >= maxChars || batch.length === maxTexts).toBe(true);
        },
      ),
    );
  });
});
