// Integer micro-USD (1 USD = 1,000,000): exact parsing of decimal strings, exact
// per-token pricing with rounding up, and formatting back to decimal strings.
// Nothing here uses floating point; no I/O.

/** An amount of money in integer micro-USD. Always a safe integer. */
export type Micros = number;

/**
 * A price in USD per 1M tokens, held exactly as nano-USD per 1M tokens
 * (the decimal string scaled by 10^9). `cost micros = tokens * rate / 10^9`.
 */
export type RateNanoPerMTok = bigint;

export const MICROS_PER_USD = 1_000_000;
const RATE_SCALE = 1_000_000_000n;
const RATE_DECIMALS = 9;
const USD_DECIMALS = 6;

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

function parseScaled(text: unknown, decimals: number, what: string): bigint {
  if (typeof text !== 'string') {
    throw new MoneyError(`${what} must be a decimal string like "2.50", got ${typeof text}`);
  }
  const trimmed = text.trim();
  const match = DECIMAL.exec(trimmed);
  if (!match) {
    const hint = /e/i.test(trimmed) ? ' (exponent notation is not accepted)' : '';
    const sign = trimmed.startsWith('-') ? ' (negative amounts are not accepted)' : '';
    throw new MoneyError(`${what} must be a non-negative decimal string like "2.50", got "${text}"${hint}${sign}`);
  }
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    throw new MoneyError(`${what} "${text}" has more than ${decimals} decimal places`);
  }
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** Parses a USD amount ("2.50", "15", "0.000001") into micro-USD. */
export function parseUsd(text: unknown, what = 'amount'): Micros {
  const micros = parseScaled(text, USD_DECIMALS, what);
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyError(`${what} "${String(text)}" is too large`);
  return Number(micros);
}

/** Parses a per-1M-token price ("0.075", "15") into an exact rate. */
export function parseRate(text: unknown, what = 'price'): RateNanoPerMTok {
  return parseScaled(text, RATE_DECIMALS, what);
}

/** Formats a rate back to its shortest decimal string ("0.075"). */
export function formatRate(rate: RateNanoPerMTok): string {
  return trimDecimal(formatScaled(rate, RATE_DECIMALS), 0);
}

/** One priced token class: how many tokens at which rate. */
export interface TokenCharge {
  readonly tokens: number;
  readonly rate: RateNanoPerMTok;
}

/** Exact cost of several token classes, rounded up once to the next micro-USD. */
export function costOf(charges: readonly TokenCharge[]): Micros {
  let nano = 0n;
  for (const { tokens, rate } of charges) {
    assertTokens(tokens);
    nano += BigInt(tokens) * rate;
  }
  const micros = (nano + RATE_SCALE - 1n) / RATE_SCALE;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyError('cost exceeds the representable range');
  return Number(micros);
}

/** Largest token count whose cost at `rate` fits in `micros` (floor); Infinity for a zero rate. */
export function tokensAffordable(micros: Micros, rate: RateNanoPerMTok): number {
  assertMicros(micros);
  if (rate === 0n) return Number.POSITIVE_INFINITY;
  const tokens = (BigInt(micros) * RATE_SCALE) / rate;
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}

/**
 * Formats micro-USD as a decimal string with at least two and at most six
 * decimals: 2_860_000 -> "2.86", 1 -> "0.000001", -500_000 -> "-0.50".
 */
export function formatUsd(micros: Micros): string {
  if (!Number.isSafeInteger(micros)) throw new MoneyError(`not an integer micro-USD amount: ${micros}`);
  return trimDecimal(formatScaled(BigInt(micros), USD_DECIMALS), 2);
}

/** Formats micro-USD with all six decimals: 2_860_000 -> "2.860000". */
export function formatUsdFixed(micros: Micros): string {
  if (!Number.isSafeInteger(micros)) throw new MoneyError(`not an integer micro-USD amount: ${micros}`);
  return formatScaled(BigInt(micros), USD_DECIMALS);
}

export function assertMicros(value: unknown, what = 'amount'): asserts value is Micros {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MoneyError(`${what} must be a non-negative safe integer of micro-USD, got ${String(value)}`);
  }
}

function assertTokens(tokens: number): void {
  if (!Number.isSafeInteger(tokens) || tokens < 0) {
    throw new MoneyError(`token count must be a non-negative safe integer, got ${tokens}`);
  }
}

function formatScaled(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

function trimDecimal(text: string, minDecimals: number): string {
  const dot = text.indexOf('.');
  let end = text.length;
  while (end > dot + 1 + minDecimals && text[end - 1] === '0') end--;
  return end === dot + 1 ? text.slice(0, dot) : text.slice(0, end);
}
