// Money on the page: the API's decimal strings, shown as written and compared as integer micro-USD
// (BigInt). No float ever touches an amount: a bar's width is an integer per-mille of the ceiling.

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,6}))?$/;

/** "2.50" -> 2_500_000n; null for anything that is not a decimal of at most six places. */
export function toMicros(text: string): bigint | null {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return null;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const micros = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return sign === '-' ? -micros : micros;
}

/** 2_500_000n -> "2.50": at least two decimals, at most six, as the API writes amounts. */
export function fromMicros(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = abs / 1_000_000n;
  let fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** "$2.50", "-$0.01": the API's string with a dollar sign; an unreadable amount is shown as it came. */
export function usd(text: string | null | undefined): string {
  if (text === null || text === undefined) return '—';
  const micros = toMicros(text);
  if (micros === null) return text;
  return micros < 0n ? `-$${text.trim().slice(1)}` : `$${text.trim()}`;
}

/** The sum of two amounts, as a decimal string. */
export function addUsd(a: string, b: string): string {
  return fromMicros((toMicros(a) ?? 0n) + (toMicros(b) ?? 0n));
}

export type Level = 'ok' | 'near' | 'over';

export interface CeilingUse {
  /** Committed, in per-mille of the ceiling, clamped to 0..1000 (the bar's first segment). */
  readonly committedPermille: number;
  /** Reserved, in per-mille, clamped so both segments fit the bar. */
  readonly reservedPermille: number;
  /** (committed + reserved) / ceiling in whole per cent, rounded down; may exceed 100. */
  readonly percent: number;
  readonly level: Level;
}

/** Where the bar turns amber: 80 % of the ceiling used or held. At or past 100 % it is red. */
export const NEAR_PERMILLE = 800;

export function ceilingUse(committedUsd: string, reservedUsd: string, limitUsd: string): CeilingUse {
  const limit = toMicros(limitUsd) ?? 0n;
  const committed = max0(toMicros(committedUsd) ?? 0n);
  const reserved = max0(toMicros(reservedUsd) ?? 0n);
  if (limit <= 0n) {
    const spent = committed + reserved > 0n;
    return { committedPermille: spent ? 1000 : 0, reservedPermille: 0, percent: spent ? 100 : 0, level: 'over' };
  }
  const used = ((committed + reserved) * 1000n) / limit;
  const committedPermille = Number(min((committed * 1000n) / limit, 1000n));
  const reservedPermille = Number(min((reserved * 1000n) / limit, 1000n - BigInt(committedPermille)));
  const level: Level = used >= 1000n ? 'over' : used >= BigInt(NEAR_PERMILLE) ? 'near' : 'ok';
  return { committedPermille, reservedPermille, percent: Number(used / 10n), level };
}

function max0(value: bigint): bigint {
  return value < 0n ? 0n : value;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
