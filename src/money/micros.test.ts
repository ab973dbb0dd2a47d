// Money: exact decimal parsing, exact per-token costs rounded up once, formatting —
// checked against a plain BigInt reference with fast-check, plus the refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MoneyError,
  costOf,
  formatRate,
  formatUsd,
  formatUsdFixed,
  parseRate,
  parseUsd,
  tokensAffordable,
} from './micros.js';

/** Reference: a decimal string with up to `decimals` places, scaled to an integer, by BigInt arithmetic only. */
function reference(whole: bigint, fraction: string, decimals: number): bigint {
  return whole * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}
const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 0, maxLength: max });

describe('parseUsd / formatUsd', () => {
  it.each([
    ['2.50', 2_500_000],
    ['15', 15_000_000],
    ['0.000001', 1],
    ['0.075', 75_000],
    ['  3.1 ', 3_100_000],
  ])('parses %s exactly', (text, micros) => {
    expect(parseUsd(text)).toBe(micros);
  });

  it.each(['1e-3', '-1', '1.0000001', 'abc', '', '.5', '1.', '0x10', 'NaN', 'Infinity'])(
    'rejects "%s" with a clear error',
    (text) => {
      expect(() => parseUsd(text, 'limit_usd')).toThrow(MoneyError);
      expect(() => parseUsd(text, 'limit_usd')).toThrow(/limit_usd/);
    },
  );

  it('explains exponent notation and negative amounts', () => {
    expect(() => parseUsd('1e-3')).toThrow(/exponent notation is not accepted/);
    expect(() => parseUsd('-2')).toThrow(/negative amounts are not accepted/);
    expect(() => parseUsd(2.5 as unknown as string)).toThrow(/decimal string/);
  });

  it.each([
    [2_860_000, '2.86', '2.860000'],
    [1, '0.000001', '0.000001'],
    [0, '0.00', '0.000000'],
    [5_000_000, '5.00', '5.000000'],
    [-500_000, '-0.50', '-0.500000'],
    [123_456_789, '123.456789', '123.456789'],
  ])('formats %i as %s / %s', (micros, short, fixed) => {
    expect(formatUsd(micros)).toBe(short);
    expect(formatUsdFixed(micros)).toBe(fixed);
  });

  it('round-trips every amount exactly (property, BigInt reference)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 9_000_000_000n }), digits(6), (whole, fraction) => {
        const text = fraction === '' ? `${whole}` : `${whole}.${fraction}`;
        const micros = parseUsd(text);
        expect(BigInt(micros)).toBe(reference(whole, fraction, 6));
        expect(parseUsd(formatUsd(micros))).toBe(micros);
      }),
    );
  });
});

describe('rates and costs', () => {
  it('parses per-1M prices with up to 9 decimals and formats them back', () => {
    expect(parseRate('0.15')).toBe(150_000_000n);
    expect(formatRate(parseRate('0.0375'))).toBe('0.0375');
    expect(formatRate(parseRate('15'))).toBe('15');
    expect(() => parseRate('0.0000000001')).toThrow(/more than 9 decimal places/);
  });

  it('rounds a cost up to the next micro-USD, once over all token classes', () => {
    // 1 token at $0.15/1M = 0.15 micro -> 1; 10 x 0.15 + 20 x 0.60 = 13.5 -> 14 (not 2 + 12).
    expect(costOf([{ tokens: 1, rate: parseRate('0.15') }])).toBe(1);
    expect(
      costOf([
        { tokens: 10, rate: parseRate('0.15') },
        { tokens: 20, rate: parseRate('0.60') },
      ]),
    ).toBe(14);
    expect(costOf([{ tokens: 1_000_000, rate: parseRate('2.50') }])).toBe(2_500_000);
    expect(costOf([])).toBe(0);
    expect(() => costOf([{ tokens: -1, rate: 1n }])).toThrow(MoneyError);
    expect(() => costOf([{ tokens: 1.5, rate: 1n }])).toThrow(MoneyError);
  });

  it('equals the BigInt ceiling of the exact sum (property)', () => {
    const charge = fc.record({
      tokens: fc.integer({ min: 0, max: 50_000_000 }),
      rate: fc.bigInt({ min: 0n, max: 200_000_000_000n }),
    });
    fc.assert(
      fc.property(fc.array(charge, { maxLength: 6 }), (charges) => {
        const exact = charges.reduce((sum, c) => sum + BigInt(c.tokens) * c.rate, 0n);
        const ceiling = (exact + 999_999_999n) / 1_000_000_000n;
        expect(BigInt(costOf(charges))).toBe(ceiling);
      }),
    );
  });

  it('tokensAffordable is the largest count whose cost fits (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.bigInt({ min: 1n, max: 100_000_000_000n }),
        (micros, rate) => {
          const tokens = tokensAffordable(micros, rate);
          expect(costOf([{ tokens, rate }])).toBeLessThanOrEqual(micros);
          if (tokens < Number.MAX_SAFE_INTEGER) expect(costOf([{ tokens: tokens + 1, rate }])).toBeGreaterThan(micros);
        },
      ),
    );
    expect(tokensAffordable(5, 0n)).toBe(Number.POSITIVE_INFINITY);
  });
});
