// Parses an entry's `service_tiers` (docs/pricing.md): the per-1M rates of OpenAI service tiers
// other than the default (`priority`, `flex`, ...). Pure; errors name the field through `fail`.
import type { RateNanoPerMTok } from '../money/micros.js';
import { describeValue } from './price-table-error.js';
import {
  asObject,
  oneHourWriteRate,
  parseLongContext,
  parsePrice,
  rejectUnknown,
  required,
  type FieldFail,
} from './parse-fields.js';
import type { LongContextTier, ServiceTierRates } from './types.js';

const TIER_FIELDS = [
  'input',
  'cached_input',
  'cache_write',
  'cache_write_1h',
  'output',
  'reasoning',
  'long_context',
] as const;
const TIER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/** Request values that are not priced tiers: they select the default tier or whatever the account is set to. */
export const RESERVED_TIER_NAMES: readonly string[] = ['default', 'auto'];

/**
 * `{"priority": {input, output, cached_input?, cache_write?, cache_write_1h?, reasoning?, long_context?}}`.
 * Defaults inside a tier follow the entry's: cached_input and cache_write = the tier's input,
 * reasoning = the tier's output. A model with a long_context tier needs one in each service
 * tier too (no silent mixing of a service tier's base rates with default-tier long-context rates),
 * and a service tier has one only when the model has one.
 */
export function parseServiceTiers(
  value: unknown,
  contextWindow: number,
  baseLongContext: LongContextTier | null,
  fail: FieldFail,
): ReadonlyMap<string, ServiceTierRates> | undefined {
  if (value === undefined || value === null) return undefined;
  const obj = asObject(value, () =>
    fail('service_tiers', `must be an object of tier name -> rates, got ${describeValue(value)}`),
  );
  const tiers = new Map<string, ServiceTierRates>();
  for (const [name, raw] of Object.entries(obj)) {
    const prefix = `service_tiers.${name}`;
    if (!TIER_NAME.test(name)) fail(prefix, 'tier names are lower-case like "priority" or "flex"');
    if (RESERVED_TIER_NAMES.includes(name)) {
      fail(prefix, `"${name}" is not a priced tier: the entry's own rates are the default tier`);
    }
    const tier = asObject(raw, () => fail(prefix, `must be an object of rates, got ${describeValue(raw)}`));
    rejectUnknown(tier, TIER_FIELDS, (key) => fail(`${prefix}.${key}`, 'unknown field'));
    const price = (key: string, v: unknown): RateNanoPerMTok => parsePrice(v, (r) => fail(`${prefix}.${key}`, r));
    const at = (key: string): unknown => required(tier, key, (k, r) => fail(`${prefix}.${k}`, r));
    const input = price('input', at('input'));
    const output = price('output', at('output'));
    const cacheWrite = tier['cache_write'] === undefined ? input : price('cache_write', tier['cache_write']);
    const longContext = parseLongContext(tier['long_context'], contextWindow, `${prefix}.long_context`, fail);
    if (baseLongContext !== null && longContext === null) {
      fail(`${prefix}.long_context`, 'is required because the model has a long_context tier');
    }
    if (baseLongContext === null && longContext !== null) {
      fail(`${prefix}.long_context`, 'needs a long_context tier on the model itself (its default tier)');
    }
    tiers.set(
      name,
      Object.freeze({
        input,
        cachedInput: tier['cached_input'] === undefined ? input : price('cached_input', tier['cached_input']),
        cacheWrite,
        cacheWrite1h: oneHourWriteRate(tier['cache_write_1h'], input, cacheWrite, (r) =>
          fail(`${prefix}.cache_write_1h`, r),
        ),
        output,
        reasoning: tier['reasoning'] === undefined ? output : price('reasoning', tier['reasoning']),
        longContext,
      }),
    );
  }
  return tiers.size === 0 ? undefined : tiers;
}
