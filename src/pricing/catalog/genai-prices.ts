// Reads one model's list prices out of the @pydantic/genai-prices data (its Provider[] shape:
// providers -> models -> prices, with date-constrained price changes and tiered prices).
// Pure: the data is passed in. Numbers become exact decimal strings (decimal-text.ts).
import { decimalPlaces, decimalText } from '../decimal-text.js';
import { CatalogError, isObject } from './catalog-error.js';

/** Per-1M rates as decimal strings, and the one long-context tier the table can express. */
export interface CatalogRates {
  readonly input: string;
  readonly output: string;
  readonly cached_input?: string;
  readonly cache_write?: string;
  readonly cache_write_1h?: string;
  readonly long_context?: {
    readonly above_input_tokens: number;
    readonly input: string;
    readonly output: string;
    readonly cached_input?: string;
    readonly cache_write?: string;
    readonly cache_write_1h?: string;
  };
}

export interface CatalogModel {
  readonly id: string;
  /** Names from the model's `equals` match rules besides its id: dated snapshots and aliases. */
  readonly names: readonly string[];
  readonly contextWindow: number | null;
  readonly rates: CatalogRates;
  /** The price change in force at the import date (its start_date), or null for the first prices. */
  readonly since: string | null;
}

const RATE_KEYS = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cached_input',
  cache_write_mtok: 'cache_write',
  cache_write_1h_mtok: 'cache_write_1h',
} as const;
type RateField = (typeof RATE_KEYS)[keyof typeof RATE_KEYS];
const MAX_DECIMALS = 9;

/** Checks the top-level shape: an array of providers, each with an id and a models array. */
export function checkGenaiProviders(data: unknown, catalog: string): readonly Record<string, unknown>[] {
  if (!Array.isArray(data)) throw new CatalogError(catalog, '', 'expected an array of providers');
  data.forEach((provider: unknown, i) => {
    if (!isObject(provider) || typeof provider['id'] !== 'string' || !Array.isArray(provider['models'])) {
      throw new CatalogError(catalog, `providers[${i}]`, 'expected {id: string, models: [...]}');
    }
  });
  return data as Record<string, unknown>[];
}

/** The model `modelId` of provider `providerId` at `date` (YYYY-MM-DD), or null when the catalog lacks it. */
export function readGenaiModel(
  providers: readonly Record<string, unknown>[],
  providerId: string,
  modelId: string,
  date: string,
  catalog: string,
): CatalogModel | null {
  const provider = providers.find((p) => p['id'] === providerId);
  if (provider === undefined) throw new CatalogError(catalog, '', `no provider "${providerId}"`);
  const model = (provider['models'] as unknown[]).find((m) => isObject(m) && m['id'] === modelId);
  if (model === undefined) return null;
  const path = `providers[${providerId}].models[${modelId}]`;
  if (!isObject(model)) throw new CatalogError(catalog, path, 'expected an object');
  const { prices, since } = pricesAt(model['prices'], date, `${path}.prices`, catalog);
  const context = model['context_window'];
  if (context !== undefined && (typeof context !== 'number' || !Number.isSafeInteger(context) || context <= 0)) {
    throw new CatalogError(catalog, `${path}.context_window`, `expected a positive integer, got ${String(context)}`);
  }
  return {
    id: modelId,
    names: equalsNames(model['match']).filter((name) => name !== modelId),
    contextWindow: typeof context === 'number' ? context : null,
    rates: rates(prices, `${path}.prices`, catalog),
    since,
  };
}

/** A plain price object, or the last of a list of date-constrained ones in force at `date`. */
function pricesAt(
  value: unknown,
  date: string,
  path: string,
  catalog: string,
): { prices: Record<string, unknown>; since: string | null } {
  if (isObject(value)) return { prices: value, since: null };
  if (!Array.isArray(value) || value.length === 0) {
    throw new CatalogError(catalog, path, 'expected a price object or a non-empty list of conditional prices');
  }
  let chosen: { prices: Record<string, unknown>; since: string | null } | null = null;
  value.forEach((entry: unknown, i) => {
    if (!isObject(entry) || !isObject(entry['prices'])) {
      throw new CatalogError(catalog, `${path}[${i}]`, 'expected {prices, constraint?}');
    }
    const constraint = entry['constraint'];
    if (constraint === undefined) {
      if (chosen === null) chosen = { prices: entry['prices'], since: null };
      return;
    }
    if (!isObject(constraint) || constraint['type'] !== 'start_date' || typeof constraint['start_date'] !== 'string') {
      throw new CatalogError(catalog, `${path}[${i}].constraint`, 'only start_date constraints can be imported');
    }
    if (constraint['start_date'] <= date) chosen = { prices: entry['prices'], since: constraint['start_date'] };
  });
  if (chosen === null) throw new CatalogError(catalog, path, `no prices in force on ${date}`);
  return chosen;
}

function rates(prices: Record<string, unknown>, path: string, catalog: string): CatalogRates {
  const base: Partial<Record<RateField, string>> = {};
  const tier: Partial<Record<RateField, string>> = {};
  let threshold: number | null = null;
  for (const [key, field] of Object.entries(RATE_KEYS) as [keyof typeof RATE_KEYS, RateField][]) {
    const value = prices[key];
    if (value === undefined) continue;
    if (typeof value === 'number') {
      base[field] = rate(value, `${path}.${key}`, catalog);
      continue;
    }
    const tiers = isObject(value) ? value['tiers'] : undefined;
    if (!isObject(value) || typeof value['base'] !== 'number' || !Array.isArray(tiers) || tiers.length !== 1) {
      throw new CatalogError(catalog, `${path}.${key}`, 'expected a number or {base, tiers: [one tier]}');
    }
    const [only] = tiers as unknown[];
    if (!isObject(only) || typeof only['start'] !== 'number' || typeof only['price'] !== 'number') {
      throw new CatalogError(catalog, `${path}.${key}.tiers[0]`, 'expected {start, price}');
    }
    if (threshold !== null && threshold !== only['start']) {
      throw new CatalogError(catalog, `${path}.${key}`, 'tiers with different thresholds cannot be imported');
    }
    threshold = only['start'];
    base[field] = rate(value['base'], `${path}.${key}.base`, catalog);
    tier[field] = rate(only['price'], `${path}.${key}.tiers[0].price`, catalog);
  }
  if (base.input === undefined) throw new CatalogError(catalog, `${path}.input_mtok`, 'missing');
  const { input, output = '0', ...rest } = base;
  const longContext =
    threshold === null
      ? undefined
      : { above_input_tokens: threshold, input: tier.input ?? input, output: tier.output ?? output, ...without(tier) };
  return { input, output, ...rest, ...(longContext === undefined ? {} : { long_context: longContext }) };
}

function without(tier: Partial<Record<RateField, string>>): Partial<Record<RateField, string>> {
  const { input: _input, output: _output, ...rest } = tier;
  return rest;
}

function rate(value: number, path: string, catalog: string): string {
  if (!Number.isFinite(value) || value < 0) throw new CatalogError(catalog, path, `not a price: ${String(value)}`);
  const text = decimalText(value);
  if (decimalPlaces(text) > MAX_DECIMALS) {
    throw new CatalogError(catalog, path, `${text} has more than ${MAX_DECIMALS} decimals (float noise?)`);
  }
  return text;
}

/** Every `equals` name in a match rule tree (starts_with / regex rules name no concrete model). */
function equalsNames(match: unknown): string[] {
  if (!isObject(match)) return [];
  if (typeof match['equals'] === 'string') return [match['equals']];
  const list = match['or'];
  return Array.isArray(list) ? list.flatMap(equalsNames) : [];
}
