import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  loopBlocks,
  nextRepeats,
  oldestVelocityBucket,
  velocityBlocks,
  velocityBucket,
  velocityRetryAfterMs,
  velocitySpent,
  VELOCITY_BUCKET_MS,
  VELOCITY_WINDOW_MS,
  type VelocityBucket,
} from './brake-rules.js';

const T0 = Date.UTC(2026, 10, 29, 13, 30, 0);

describe('velocity window', () => {
  it('counts every bucket that overlaps the trailing minute: 61 of them', () => {
    const now = T0 + 500;
    expect(velocityBucket(now)).toBe(T0);
    expect(oldestVelocityBucket(now)).toBe(T0 - VELOCITY_WINDOW_MS);
    const buckets = [
      { startMs: T0 - 61_000, micros: 1 },
      { startMs: T0 - 60_000, micros: 10 },
      { startMs: T0 - 1_000, micros: 100 },
      { startMs: T0, micros: 1_000 },
    ];
    expect(velocitySpent(buckets, now)).toBe(1_110);
  });

  it.each([
    ['hard_gate', 600, 400, 1_000, false],
    ['hard_gate', 600, 401, 1_000, true],
    ['soft_gate', 600, 401, 1_000, true],
    ['actuals_only', 999, 5_000, 1_000, false],
    ['actuals_only', 1_000, 0, 1_000, true],
    ['advisory_estimate', 5_000, 5_000, 1_000, false],
  ] as const)('%s: spent %i + %i against %i blocks: %s', (mode, spent, amount, limit, blocks) => {
    expect(velocityBlocks(mode, spent, amount, limit)).toBe(blocks);
  });

  it('Retry-After: until enough of the oldest buckets leave the window', () => {
    const buckets = [
      { startMs: T0, micros: 400 },
      { startMs: T0 + 10_000, micros: 400 },
    ];
    const now = T0 + 15_250;
    expect(velocityRetryAfterMs('hard_gate', buckets, now, 300, 1_000)).toBe(T0 + 61_000 - now);
    expect(velocityRetryAfterMs('hard_gate', buckets, now, 700, 1_000)).toBe(T0 + 71_000 - now);
    expect(velocityRetryAfterMs('hard_gate', buckets, now, 200, 1_000)).toBe(0);
    expect(velocityRetryAfterMs('hard_gate', buckets, now, 1_001, 1_000)).toBeNull();
    expect(velocityRetryAfterMs('actuals_only', [{ startMs: T0, micros: 1_000 }], now, 50, 1_000)).toBe(
      T0 + 61_000 - now,
    );
  });

  it('property: waiting Retry-After makes the hold fit, and a moment less does not', () => {
    const bucket = fc.record({
      startMs: fc.integer({ min: -70, max: 0 }).map((second) => T0 + second * VELOCITY_BUCKET_MS),
      micros: fc.integer({ min: 0, max: 2_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(bucket, { maxLength: 20 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        (buckets: VelocityBucket[], offset, amount, limit) => {
          const now = T0 + offset;
          const wait = velocityRetryAfterMs('hard_gate', buckets, now, amount, limit);
          const fitsAt = (at: number) => !velocityBlocks('hard_gate', velocitySpent(buckets, at), amount, limit);
          if (wait === null) {
            expect(amount).toBeGreaterThan(limit);
            return;
          }
          expect(fitsAt(now + wait)).toBe(true);
          if (wait > 0) expect(fitsAt(now + wait - 1)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('loop brake', () => {
  it('counts repeats of the same step in a row; another step starts over', () => {
    expect(nextRepeats(null, 'a')).toBe(0);
    expect(nextRepeats({ stepHash: 'a', repeats: 0 }, 'a')).toBe(1);
    expect(nextRepeats({ stepHash: 'a', repeats: 4 }, 'a')).toBe(5);
    expect(nextRepeats({ stepHash: 'a', repeats: 4 }, 'b')).toBe(0);
  });

  it('blocks more than maxRepeats repeats, except in an advisory run', () => {
    expect(loopBlocks('hard_gate', 3, 3)).toBe(false);
    expect(loopBlocks('hard_gate', 4, 3)).toBe(true);
    expect(loopBlocks('actuals_only', 4, 3)).toBe(true);
    expect(loopBlocks('advisory_estimate', 40, 3)).toBe(false);
  });
});
