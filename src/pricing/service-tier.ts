// Service-tier pricing (OpenAI `service_tier`; docs/pricing.md "Service tiers"): the price of a
// model at the tier a request asks for (what the hold uses) and at the tier the provider reports
// it served (what the commit uses). Pure. Fails closed: a tier without a price is null for a
// request (the pipeline refuses it) and the dearest priced tier for a report.
import type { RateNanoPerMTok } from '../money/micros.js';
import type { LongContextTier, ModelPrice, ServiceTierRates } from './types.js';

export const DEFAULT_TIER = 'default';
/** Asks for "whatever the account is set to", which may be priority: held at the dearest tier. */
export const AUTO_TIER = 'auto';
/** Anthropic's name for its default tier in usage reports. */
const DEFAULT_ALIASES: readonly string[] = [DEFAULT_TIER, 'standard'];

/**
 * `price` at the requested tier: absent, null or "default" = the default rates; "auto" = the
 * dearest of the default and every priced tier, rate by rate (the account may be set to serve
 * priority, and the request cannot tell); a priced tier = its rates; anything else = null.
 */
export function priceAtServiceTier(price: ModelPrice, tier: string | null | undefined): ModelPrice | null {
  if (tier === undefined || tier === null || tier === DEFAULT_TIER) return withRates(price, DEFAULT_TIER);
  if (tier === AUTO_TIER) return withRates(price, AUTO_TIER);
  return tiersOf(price).has(tier) ? withRates(price, tier) : null;
}

/**
 * The price a finished call is charged at, from the tier the provider reports it served:
 * not reported = the held tier (`held` unchanged); "default" (or "standard") = default rates; a
 * priced tier = its rates; a tier the table does not price = the dearest priced tier, flagged
 * `known: false` so the caller can log it (never cheaper than anything the table knows).
 */
export function priceForServedTier(
  held: ModelPrice,
  reported: string | null | undefined,
): { readonly price: ModelPrice; readonly known: boolean } {
  if (reported === undefined || reported === null || reported === '') return { price: held, known: true };
  if (DEFAULT_ALIASES.includes(reported)) return { price: withRates(held, DEFAULT_TIER), known: true };
  if (tiersOf(held).has(reported)) return { price: withRates(held, reported), known: true };
  return { price: withRates(held, AUTO_TIER), known: false };
}

/** The tier names a price knows, besides "default" and "auto". */
export function pricedTierNames(price: ModelPrice): string[] {
  return [...tiersOf(price).keys()].filter((name) => name !== DEFAULT_TIER);
}

function tiersOf(price: ModelPrice): ReadonlyMap<string, ServiceTierRates> {
  return price.serviceTiers ?? new Map();
}

function ratesOf(price: ModelPrice): ServiceTierRates {
  const { input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning, longContext } = price;
  return { input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning, longContext };
}

/** The default-tier rates, also from a price already moved to another tier. */
function defaultRates(price: ModelPrice): ServiceTierRates {
  const current = price.serviceTier ?? DEFAULT_TIER;
  if (current === DEFAULT_TIER) return ratesOf(price);
  const stored = price.serviceTiers?.get(DEFAULT_TIER);
  if (stored === undefined) throw new Error(`price of "${price.model}" at tier "${current}" lost its default rates`);
  return stored;
}

function withRates(price: ModelPrice, tier: string): ModelPrice {
  const current = price.serviceTier ?? DEFAULT_TIER;
  if (tier === current) return price;
  const base = defaultRates(price);
  const others = [...tiersOf(price)].filter(([name]) => name !== DEFAULT_TIER);
  const rates =
    tier === DEFAULT_TIER
      ? base
      : tier === AUTO_TIER
        ? others.reduce((ceiling, [, r]) => dearest(ceiling, r), base)
        : (tiersOf(price).get(tier) as ServiceTierRates);
  if (tier === DEFAULT_TIER && others.length === 0) {
    const { serviceTier: _tier, serviceTiers: _tiers, ...plain } = price;
    return Object.freeze({ ...plain, ...rates });
  }
  return Object.freeze({
    ...price,
    ...rates,
    serviceTier: tier,
    serviceTiers: new Map([...others, [DEFAULT_TIER, base]]),
  });
}

function dearest(a: ServiceTierRates, b: ServiceTierRates): ServiceTierRates {
  return {
    input: max(a.input, b.input),
    cachedInput: max(a.cachedInput, b.cachedInput),
    cacheWrite: max(a.cacheWrite, b.cacheWrite),
    cacheWrite1h: max(a.cacheWrite1h, b.cacheWrite1h),
    output: max(a.output, b.output),
    reasoning: max(a.reasoning, b.reasoning),
    longContext: dearestTier(a.longContext, b.longContext),
  };
}

/** Long-context tiers of two service tiers: the earlier threshold and the dearer rates. */
function dearestTier(a: LongContextTier | null, b: LongContextTier | null): LongContextTier | null {
  if (a === null) return b;
  if (b === null) return a;
  const opt = (x: RateNanoPerMTok | undefined, y: RateNanoPerMTok | undefined): RateNanoPerMTok | undefined =>
    x === undefined ? y : y === undefined ? x : max(x, y);
  const cacheWrite = opt(a.cacheWrite, b.cacheWrite);
  const cacheWrite1h = opt(a.cacheWrite1h, b.cacheWrite1h);
  return {
    aboveInputTokens: Math.min(a.aboveInputTokens, b.aboveInputTokens),
    input: max(a.input, b.input),
    cachedInput: max(a.cachedInput, b.cachedInput),
    ...(cacheWrite === undefined ? {} : { cacheWrite }),
    ...(cacheWrite1h === undefined ? {} : { cacheWrite1h }),
    output: max(a.output, b.output),
  };
}

function max(a: RateNanoPerMTok, b: RateNanoPerMTok): RateNanoPerMTok {
  return a > b ? a : b;
}
