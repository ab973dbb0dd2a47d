// Field parsers shared by the price-entry and service-tier parsers: exact price strings, integers,
// objects without unknown keys, and the long-context tier. Pure; every failure goes through the
// caller's `fail`, which names the field (the caller adds file and model).
import { parseRate, type RateNanoPerMTok } from '../money/micros.js';
import { oneHourWriteFallback } from './cost.js';
import { describeValue } from './price-table-error.js';
import type { LongContextTier } from './types.js';

const PRICE_SHAPE = /^\d+(?:\.\d+)?$/;
const MAX_PRICE_DECIMALS = 9;
const LONG_CONTEXT_FIELDS = [
  'above_input_tokens',
  'input',
  'cached_input',
  'cache_write',
  'cache_write_1h',
  'output',
] as const;

export type FieldFail = (field: string | null, reason: string) => never;

/** Validates a per-1M-token price string and parses it exactly. */
export function parsePrice(value: unknown, fail: (reason: string) => never): RateNanoPerMTok {
  const expected = 'must be a non-negative decimal string like "0.60"';
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? ' (write prices as JSON strings so they stay exact)' : '';
    return fail(`${expected}, got ${describeValue(value)}${hint}`);
  }
  if (!PRICE_SHAPE.test(value)) {
    const hint = /^-?\d+(?:\.\d+)?e[+-]?\d+$/i.test(value.trim())
      ? ' (exponent notation is not accepted)'
      : value.trim().startsWith('-')
        ? ' (negative prices are not accepted)'
        : '';
    return fail(`${expected}, got ${describeValue(value)}${hint}`);
  }
  const decimals = value.includes('.') ? value.length - value.indexOf('.') - 1 : 0;
  if (decimals > MAX_PRICE_DECIMALS) return fail(`"${value}" has more than ${MAX_PRICE_DECIMALS} decimal places`);
  return parseRate(value);
}

export function asObject(value: unknown, fail: () => never): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail();
  return value as Record<string, unknown>;
}

export function rejectUnknown(
  obj: Record<string, unknown>,
  known: readonly string[],
  fail: (key: string) => never,
): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) fail(key);
}

export function required(obj: Record<string, unknown>, key: string, fail: FieldFail): unknown {
  const value = obj[key];
  return value === undefined ? fail(key, 'is required') : value;
}

export function integer(value: unknown, min: number, fail: (reason: string) => never): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    return fail(`must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The 1-hour cache-write rate: `cache_write_1h` as written, else the documented safe fallback
 * (oneHourWriteFallback). A written rate below the 5-minute rate is an error: no provider
 * charges less for keeping a cache entry longer, so it is a typo.
 */
export function oneHourWriteRate(
  raw: unknown,
  input: RateNanoPerMTok,
  cacheWrite: RateNanoPerMTok,
  fail: (reason: string) => never,
): RateNanoPerMTok {
  if (raw === undefined) return oneHourWriteFallback(input, cacheWrite);
  const rate = parsePrice(raw, fail);
  if (rate < cacheWrite) return fail(`${String(raw)} is below the 5-minute cache_write rate`);
  return rate;
}

/**
 * `long_context: {above_input_tokens, input, cached_input?, cache_write?, cache_write_1h?, output}`.
 * `prefix` names the object in errors ("long_context", "service_tiers.priority.long_context").
 * Inside the tier, cached_input and cache_write default to the tier's input; cache_write_1h to
 * the safe fallback from the tier's rates.
 */
export function parseLongContext(
  value: unknown,
  contextWindow: number,
  prefix: string,
  fail: FieldFail,
): LongContextTier | null {
  if (value === undefined || value === null) return null;
  const obj = asObject(value, () => fail(prefix, `must be an object, got ${describeValue(value)}`));
  rejectUnknown(obj, LONG_CONTEXT_FIELDS, (key) => fail(`${prefix}.${key}`, 'unknown field'));
  const field = (key: string): unknown => required(obj, key, (k, r) => fail(`${prefix}.${k}`, r));
  const price = (key: string, v: unknown): RateNanoPerMTok => parsePrice(v, (r) => fail(`${prefix}.${key}`, r));
  const above = integer(field('above_input_tokens'), 1, (r) => fail(`${prefix}.above_input_tokens`, r));
  if (above >= contextWindow) {
    fail(
      `${prefix}.above_input_tokens`,
      `${above} is not below context_window ${contextWindow}, so the tier never applies`,
    );
  }
  const input = price('input', field('input'));
  const cacheWrite = obj['cache_write'] === undefined ? input : price('cache_write', obj['cache_write']);
  return Object.freeze({
    aboveInputTokens: above,
    input,
    cachedInput: obj['cached_input'] === undefined ? input : price('cached_input', obj['cached_input']),
    cacheWrite,
    cacheWrite1h: oneHourWriteRate(obj['cache_write_1h'], input, cacheWrite, (r) =>
      fail(`${prefix}.cache_write_1h`, r),
    ),
    output: price('output', field('output')),
  });
}
