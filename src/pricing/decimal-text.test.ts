import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalPlaces, decimalText } from './decimal-text.js';

describe('decimalText', () => {
  it.each<[number, number, string]>([
    [0.075, 0, '0.075'],
    [2.5, 0, '2.5'],
    [0, 0, '0'],
    [1.1, 0, '1.1'],
    [0.1 + 0.2, 0, '0.30000000000000004'],
    [1.5e-7, 6, '0.15'],
    [1.1e-7, 6, '0.11'],
    [2.5e-6, 6, '2.5'],
    [1e-8, 6, '0.01'],
    [3.125, 0, '3.125'],
    [1e21, 0, '1000000000000000000000'],
    [5e-7, 0, '0.0000005'],
    [12.5, -1, '1.25'],
    [1200, 0, '1200'],
  ])('%s shifted by %s is "%s"', (value, shift, text) => {
    expect(decimalText(value, shift)).toBe(text);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s', (bad) => {
    expect(() => decimalText(bad)).toThrow(RangeError);
  });

  it('reproduces every decimal string JSON.parse read a catalog number from (up to 15 significant digits)', () => {
    const decimal = fc
      .tuple(
        fc.integer({ min: 0, max: 99_999 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 9_999_999 }),
      )
      .map(([whole, zeros, frac]) => {
        const fraction = `${'0'.repeat(zeros)}${frac}`.replace(/0+$/, '');
        return fraction === '' ? String(whole) : `${whole}.${fraction}`;
      });
    fc.assert(
      fc.property(decimal, (text) => {
        expect(decimalText(JSON.parse(text) as number)).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('shifts exactly, never through float multiplication', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 1, max: 12 }), (digits, places) => {
        const perToken = Number(`${digits}e-${places + 6}`);
        expect(decimalText(perToken, 6)).toBe(decimalText(Number(`${digits}e-${places}`)));
      }),
    );
  });

  it('counts decimal places', () => {
    expect(decimalPlaces('0.075')).toBe(3);
    expect(decimalPlaces('12')).toBe(0);
  });
});
