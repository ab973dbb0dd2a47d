// Parses and validates ONE price entry (docs/design.md §9 shape) into a ModelPrice. Pure: no I/O, and no
// knowledge of other entries (alias collisions and downgrade targets are table checks, parse-table.ts).
// Prices go through parseRate only; a float never touches a price.
import type { RateNanoPerMTok } from '../money/micros.js';
import { PriceTableError, describeValue } from './price-table-error.js';
import {
  asObject,
  integer,
  oneHourWriteRate,
  parseLongContext,
  parsePrice,
  rejectUnknown,
  required,
} from './parse-fields.js';
import { parseServiceTiers } from './parse-service-tiers.js';
import type { Capabilities, Encoding, ModelPrice } from './types.js';

export { parsePrice } from './parse-fields.js';

/** Every tokenizer encoding the estimator knows; `satisfies` keeps this in step with the Encoding union. */
const ENCODINGS = {
  o200k_base: true,
  cl100k_base: true,
  p50k_base: true,
  r50k_base: true,
} as const satisfies Record<Encoding, true>;

const ENTRY_FIELDS = [
  'provider',
  'aliases',
  'encoding',
  'estimate_factor',
  'input',
  'cached_input',
  'cache_write',
  'cache_write_1h',
  'output',
  'reasoning',
  'context_window',
  'max_output_tokens',
  'capabilities',
  'downgrade_to',
  'long_context',
  'service_tiers',
  'source',
] as const;
const CAPABILITY_FIELDS = ['tools', 'json_schema', 'vision'] as const;

const FACTOR_SHAPE = /^\d+(?:\.\d+)?$/;
const MAX_ESTIMATE_FACTOR = 10;
/** Model names and aliases: what a client may put in `model`. No whitespace, no control characters. */
const MODEL_NAME = /^[^\s\p{Cc}]{1,256}$/u;

export const DEFAULT_ENCODING: Encoding = 'o200k_base';

/** True when `name` is acceptable as a model name or alias. */
export function isValidModelName(name: string): boolean {
  return MODEL_NAME.test(name);
}

/**
 * Parses one entry. `where` labels errors (a file such as "prices/2026-11-01.json", or a
 * config path such as "tenants.acme.price_overrides"); `model` is the entry's key.
 * Defaults: aliases [], encoding o200k_base, cached_input = input, cache_write = input,
 * cache_write_1h = max(cache_write, 2 x input) (cost.ts oneHourWriteFallback), reasoning =
 * output, estimate_factor 1, capabilities false, downgrade_to [], long_context none, no
 * service_tiers; inside long_context, cached_input and cache_write default to the tier's input.
 */
export function parsePriceEntry(model: string, raw: unknown, where: string): ModelPrice {
  const fail = (field: string | null, reason: string): never => {
    throw new PriceTableError(where, model, field, reason);
  };
  if (!isValidModelName(model)) fail(null, 'model names must be 1-256 characters without whitespace');
  const entry = asObject(raw, () => fail(null, `entry must be an object, got ${describeValue(raw)}`));
  rejectUnknown(entry, ENTRY_FIELDS, (key) => fail(key, 'unknown field'));

  const price = (field: string, value: unknown): RateNanoPerMTok => parsePrice(value, (r) => fail(field, r));
  // `source` documents where the entry's prices came from; nothing reads it at run time.
  if (entry['source'] !== undefined && typeof entry['source'] !== 'string') {
    fail('source', `must be a string, got ${describeValue(entry['source'])}`);
  }
  const input = price('input', required(entry, 'input', fail));
  const output = price('output', required(entry, 'output', fail));
  const contextWindow = integer(required(entry, 'context_window', fail), 1, (r) => fail('context_window', r));
  const maxOutputTokens = integer(required(entry, 'max_output_tokens', fail), 0, (r) => fail('max_output_tokens', r));
  if (maxOutputTokens > contextWindow) {
    fail('max_output_tokens', `${maxOutputTokens} exceeds context_window ${contextWindow}`);
  }

  const cacheWrite = entry['cache_write'] === undefined ? input : price('cache_write', entry['cache_write']);
  const longContext = parseLongContext(entry['long_context'], contextWindow, 'long_context', fail);
  const serviceTiers = parseServiceTiers(entry['service_tiers'], contextWindow, longContext, fail);
  const parsed: ModelPrice = {
    model,
    provider: providerName(required(entry, 'provider', fail), (r) => fail('provider', r)),
    aliases: Object.freeze(nameList(entry['aliases'], (r) => fail('aliases', r))),
    encoding: encoding(entry['encoding'], (r) => fail('encoding', r)),
    estimateFactor: estimateFactor(entry['estimate_factor'], (r) => fail('estimate_factor', r)),
    input,
    cachedInput: entry['cached_input'] === undefined ? input : price('cached_input', entry['cached_input']),
    cacheWrite,
    cacheWrite1h: oneHourWriteRate(entry['cache_write_1h'], input, cacheWrite, (r) => fail('cache_write_1h', r)),
    output,
    reasoning: entry['reasoning'] === undefined ? output : price('reasoning', entry['reasoning']),
    contextWindow,
    maxOutputTokens,
    capabilities: capabilities(entry['capabilities'], fail),
    downgradeTo: Object.freeze(nameList(entry['downgrade_to'], (r) => fail('downgrade_to', r))),
    longContext,
    ...(serviceTiers === undefined ? {} : { serviceTiers }),
  };
  if (parsed.aliases.includes(model)) fail('aliases', `"${model}" is the model's own name`);
  if (parsed.downgradeTo.includes(model)) fail('downgrade_to', 'a model cannot downgrade to itself');
  return Object.freeze(parsed);
}

function providerName(value: unknown, fail: (reason: string) => never): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(value)) {
    return fail(`must be a lower-case provider name like "openai", got ${describeValue(value)}`);
  }
  return value;
}

function nameList(value: unknown, fail: (reason: string) => never): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(`must be an array of model names, got ${describeValue(value)}`);
  const names: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || !isValidModelName(item)) return fail(`invalid model name ${describeValue(item)}`);
    if (names.includes(item)) return fail(`"${item}" is listed twice`);
    names.push(item);
  }
  return names;
}

function encoding(value: unknown, fail: (reason: string) => never): Encoding {
  if (value === undefined) return DEFAULT_ENCODING;
  if (typeof value === 'string' && Object.hasOwn(ENCODINGS, value)) return value as Encoding;
  return fail(`must be one of ${Object.keys(ENCODINGS).join(', ')}, got ${describeValue(value)}`);
}

function estimateFactor(value: unknown, fail: (reason: string) => never): number {
  if (value === undefined) return 1;
  // Not a money value: the factor only scales a token estimate, so a float is fine here.
  const factor =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && FACTOR_SHAPE.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(factor) || factor < 1 || factor > MAX_ESTIMATE_FACTOR) {
    return fail(`must be a number or decimal string between 1 and ${MAX_ESTIMATE_FACTOR}, got ${describeValue(value)}`);
  }
  return factor;
}

function capabilities(value: unknown, fail: (field: string | null, reason: string) => never): Capabilities {
  if (value === undefined) return Object.freeze({ tools: false, jsonSchema: false, vision: false });
  const obj = asObject(value, () => fail('capabilities', `must be an object, got ${describeValue(value)}`));
  rejectUnknown(obj, CAPABILITY_FIELDS, (key) => fail(`capabilities.${key}`, 'unknown field'));
  const flag = (key: (typeof CAPABILITY_FIELDS)[number]): boolean => {
    const v = obj[key];
    if (v === undefined) return false;
    return typeof v === 'boolean' ? v : fail(`capabilities.${key}`, `must be true or false, got ${describeValue(v)}`);
  };
  return Object.freeze({ tools: flag('tools'), jsonSchema: flag('json_schema'), vision: flag('vision') });
}
