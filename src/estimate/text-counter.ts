// How one model's text is counted (docs/design.md §4): with the price table's encoding, or,
// for models whose tokenizer is not public (estimate_factor > 1), with o200k_base
// and then scaled up by the factor. Shared by the per-endpoint counters. Pure: the JSON of a
// large object is remembered per object (weakly), since a request's estimate runs twice over the
// same parsed body (prefetch's probe, then the plan) and a parsed body is never changed.
import type { Encoding, ModelPrice } from '../pricing/types.js';
import type { ProviderInputKind, Tokenizer } from './types.js';

export interface TextCounter {
  readonly encoding: Encoding;
  /** Tokens in a string. */
  text(value: string): number;
  /** Tokens in a string, or in the JSON of anything else (a shape we do not model). */
  json(value: unknown): number;
  /** Records a part whose content the provider adds from its side (a file, an item reference). */
  unmeasured(kind: ProviderInputKind): void;
  /** The kinds recorded so far. */
  readonly found: ReadonlySet<ProviderInputKind>;
}

/** The encoding a model's text is counted with. */
export function countingEncoding(price: ModelPrice): Encoding {
  return hasEstimateFactor(price) ? 'o200k_base' : price.encoding;
}

/**
 * Scales a count by the model's estimate factor, rounding up. A factor that is not
 * a finite number above 1 means the count is exact (a factor below 1 would only
 * ever under-reserve, so it is not applied).
 */
export function applyEstimateFactor(tokens: number, price: ModelPrice): number {
  return hasEstimateFactor(price) ? Math.ceil(tokens * price.estimateFactor) : tokens;
}

function hasEstimateFactor(price: ModelPrice): boolean {
  return Number.isFinite(price.estimateFactor) && price.estimateFactor > 1;
}

/** JSON of at least this many characters is remembered for the object it came from; shorter JSON is cheaper to redo. */
export const REMEMBERED_JSON_CHARS = 256;
const rememberedJson = new WeakMap<object, string>();

export function createTextCounter(price: ModelPrice, tokenizer: Tokenizer): TextCounter {
  const encoding = countingEncoding(price);
  const text = (value: string): number => tokenizer.count(value, encoding);
  const json = (value: unknown): number => {
    if (typeof value === 'string') return text(value);
    const serialized = jsonOf(value);
    return serialized === undefined ? 0 : text(serialized);
  };
  const found = new Set<ProviderInputKind>();
  return { encoding, text, json, unmeasured: (kind) => found.add(kind), found };
}

/** The JSON of a value (tool definitions, tool inputs, items), remembered for a large object. */
export function jsonOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return safeStringify(value);
  const known = rememberedJson.get(value);
  if (known !== undefined) return known;
  const serialized = safeStringify(value);
  if (serialized !== undefined && serialized.length >= REMEMBERED_JSON_CHARS) rememberedJson.set(value, serialized);
  return serialized;
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    // Not JSON (a cycle, a BigInt): cannot come from a parsed body, but never crash an estimate.
    return String(value);
  }
}
