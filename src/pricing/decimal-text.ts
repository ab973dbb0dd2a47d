// Exact decimal text of a catalog's JSON number, for price tables: the number's shortest
// round-trip representation (ECMAScript Number::toString, what JSON.parse read it from),
// with the exponent and any shift applied as text. A float is never multiplied: 1.1e-7
// per token becomes "0.11" per 1M, not 0.10999999999999999.

/**
 * `value` x 10^`shift` as a plain decimal string without exponent or trailing zeros:
 * decimalText(0.075) = "0.075", decimalText(1.5e-7, 6) = "0.15", decimalText(2.5, 0) = "2.5",
 * decimalText(1e21) = "1000000000000000000000". Throws on a negative, NaN or infinite value.
 */
export function decimalText(value: number, shift = 0): string {
  const match = typeof value === 'number' ? /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value)) : null;
  if (match === null || !Number.isInteger(shift)) {
    throw new RangeError(`not a non-negative finite number: ${String(value)}`);
  }
  const whole = match[1] ?? '0';
  const digits = whole + (match[2] ?? '');
  const point = whole.length + Number(match[3] ?? '0') + shift;
  const shifted =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  const [intPart = '0', fraction = ''] = shifted.split('.');
  const int = intPart.replace(/^0+(?=\d)/, '');
  const frac = fraction.replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

/** Number of digits after the decimal point of decimalText output. */
export function decimalPlaces(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
