import { describe, expect, it } from 'vitest';
import { RuncapError } from '../../errors.js';
import { commitSchema, durationParam, parseBody, parseJsonText, reserveSchema, timeParam, usdParam } from './input.js';

function paramOf(fn: () => unknown): string | null | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuncapError) return error.extra.param;
    throw error;
  }
  throw new Error('did not throw');
}

describe('timeParam', () => {
  it.each([
    ['0', 0],
    ['1795950159622', 1795950159622],
    ['2026-11-01T00:00:00Z', Date.UTC(2026, 10, 1)],
    ['2026-11-01', Date.UTC(2026, 10, 1)],
    ['2026-11-01T01:00:00+01:00', Date.UTC(2026, 10, 1)],
  ])('%s -> %d', (text, ms) => {
    expect(timeParam(text, 'from')).toBe(ms);
  });

  it.each(['', 'yesterday', '1e12', '-5', '12.5', '2026-13-45', 'Nov 1 2026', '99999999999999999'])(
    'refuses %j naming the param',
    (text) => {
      expect(paramOf(() => timeParam(text, 'to'))).toBe('to');
    },
  );
});

describe('durationParam and usdParam', () => {
  it('parses and bounds durations', () => {
    expect(durationParam('90s', 'ttl')).toBe(90_000);
    expect(paramOf(() => durationParam('2d', 'ttl', 86_400_000))).toBe('ttl');
    expect(paramOf(() => durationParam('soon', 'ttl'))).toBe('ttl');
  });

  it('parses USD exactly and refuses floats in disguise', () => {
    expect(usdParam('0.000001', 'amount_usd')).toBe(1);
    expect(usdParam('2.86', 'amount_usd')).toBe(2_860_000);
    for (const bad of ['1e3', '-1', '0.0000001', 'NaN'])
      expect(paramOf(() => usdParam(bad, 'amount_usd'))).toBe('amount_usd');
  });
});

describe('parseBody', () => {
  it('accepts either reservation form and names the first bad field of the closest one', () => {
    expect(parseBody(reserveSchema, { amount_usd: '1.00' })).toEqual({ amount_usd: '1.00' });
    expect(parseBody(reserveSchema, { model: 'm', input_tokens: 1, max_output_tokens: 2 })).toEqual({
      model: 'm',
      input_tokens: 1,
      max_output_tokens: 2,
    });
    expect(paramOf(() => parseBody(reserveSchema, { model: 'm', input_tokens: -1, max_output_tokens: 2 }))).toBe(
      'input_tokens',
    );
    expect(paramOf(() => parseBody(commitSchema, { usage: { input_tokens: 1 } }))).toBe('usage.output_tokens');
    expect(paramOf(() => parseBody(reserveSchema, []))).toBeNull();
  });

  it('reads an empty body as {} and refuses text that is not JSON', () => {
    expect(parseJsonText('  ')).toEqual({});
    expect(() => parseJsonText('{')).toThrow(RuncapError);
  });
});
