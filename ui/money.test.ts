import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUsd, ceilingUse, fromMicros, toMicros, usd } from './money.js';

describe('money on the page', () => {
  it('reads the API decimal strings exactly and writes them back as the API does', () => {
    expect(toMicros('2.50')).toBe(2_500_000n);
    expect(toMicros('0.000014')).toBe(14n);
    expect(toMicros('-0.01')).toBe(-10_000n);
    expect(toMicros('1e3')).toBeNull();
    expect(toMicros('0.0000001')).toBeNull();
    expect(fromMicros(2_500_000n)).toBe('2.50');
    expect(fromMicros(14n)).toBe('0.000014');
    expect(fromMicros(-10_000n)).toBe('-0.01');
    expect(addUsd('0.000239', '0.10')).toBe('0.100239');
  });

  it('round-trips every micro-USD amount', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (m) => toMicros(fromMicros(m)) === m));
  });

  it('shows amounts as the API wrote them, with a dollar sign (no float formatting)', () => {
    expect(usd('0.000239')).toBe('$0.000239');
    expect(usd('12345678901234.000001')).toBe('$12345678901234.000001');
    expect(usd('-0.01')).toBe('-$0.01');
    expect(usd(null)).toBe('—');
  });

  it('turns the bar amber at 80 % of the ceiling and red at 100 %, committed and reserved both counting', () => {
    expect(ceilingUse('0.10', '0.00', '1.00')).toEqual({
      committedPermille: 100,
      reservedPermille: 0,
      percent: 10,
      level: 'ok',
    });
    expect(ceilingUse('0.50', '0.30', '1.00')).toMatchObject({
      committedPermille: 500,
      reservedPermille: 300,
      level: 'near',
    });
    expect(ceilingUse('0.799999', '0.00', '1.00').level).toBe('ok');
    expect(ceilingUse('1.00', '0.00', '1.00')).toMatchObject({ percent: 100, level: 'over' });
    // An overrun: the bar is full, the per cent says how far past.
    expect(ceilingUse('1.30', '0.20', '1.00')).toEqual({
      committedPermille: 1000,
      reservedPermille: 0,
      percent: 150,
      level: 'over',
    });
    expect(ceilingUse('0.90', '0.50', '1.00')).toMatchObject({ committedPermille: 900, reservedPermille: 100 });
  });
});
