import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reachedThresholds, thresholdMicros } from './alert-rules.js';

describe('threshold arithmetic', () => {
  it('is ceil(limit * bp / 10000) exactly, for any safe limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 10_000 }),
        (limit, bp) => {
          const exact = (BigInt(limit) * BigInt(bp) + 9_999n) / 10_000n;
          expect(BigInt(thresholdMicros(limit, bp))).toBe(exact);
        },
      ),
    );
  });

  it('lists the thresholds reached, none for a zero ceiling', () => {
    expect(reachedThresholds(5_000_000, 4_000_000, [5000, 8000, 10000])).toEqual([5000, 8000]);
    expect(reachedThresholds(5_000_000, 3_999_999, [5000, 8000, 10000])).toEqual([5000]);
    expect(reachedThresholds(3, 2, [5000])).toEqual([5000]);
    expect(reachedThresholds(3, 1, [5000])).toEqual([]);
    expect(reachedThresholds(0, 10, [5000])).toEqual([]);
  });
});
