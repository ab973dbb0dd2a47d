import { describe, expect, it } from 'vitest';
import { costMicros, worstCaseMicros } from './cost.js';
import { parsePriceEntry } from './parse-entry.js';
import { priceAtServiceTier, priceForServedTier, pricedTierNames } from './service-tier.js';
import type { ModelPrice, Usage } from './types.js';

const base = { provider: 'openai', context_window: 400_000, max_output_tokens: 128_000 };
const gpt5 = parsePriceEntry(
  'gpt-5',
  {
    ...base,
    input: '1.25',
    cached_input: '0.125',
    output: '10',
    service_tiers: {
      priority: { input: '2.50', cached_input: '0.25', output: '20' },
      flex: { input: '0.625', cached_input: '0.0625', output: '5' },
    },
  },
  'test',
);
const plain = parsePriceEntry('gpt-4o-mini', { ...base, input: '0.15', output: '0.60' }, 'test');
const usage = (u: Partial<Usage>): Usage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  ...u,
});
const oneMillionEach = usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
const at = (price: ModelPrice, tier: string | null | undefined): ModelPrice => {
  const found = priceAtServiceTier(price, tier);
  if (found === null) throw new Error(`no price at ${String(tier)}`);
  return found;
};

describe('priceAtServiceTier (what a request is held at)', () => {
  it.each<[string | null | undefined, number]>([
    [undefined, 11_250_000],
    [null, 11_250_000],
    ['default', 11_250_000],
    ['priority', 22_500_000],
    ['flex', 5_625_000],
    // auto: the account may serve priority, so the dearest tier, rate by rate
    ['auto', 22_500_000],
  ])('tier %s', (tier, micros) => {
    expect(worstCaseMicros(at(gpt5, tier), 1_000_000, 1_000_000)).toBe(micros);
  });

  it('is null for a tier the entry does not price (the pipeline refuses it)', () => {
    expect(priceAtServiceTier(gpt5, 'scale')).toBeNull();
    expect(priceAtServiceTier(plain, 'priority')).toBeNull();
    expect(priceAtServiceTier(plain, 'flex')).toBeNull();
  });

  it('holds auto at the default price for a model without priced tiers', () => {
    expect(worstCaseMicros(at(plain, 'auto'), 1_000_000, 0)).toBe(150_000);
    expect(at(plain, 'default')).toBe(plain);
  });

  it('names the priced tiers', () => {
    expect(pricedTierNames(gpt5)).toEqual(['priority', 'flex']);
    expect(pricedTierNames(at(gpt5, 'priority'))).toEqual(['priority', 'flex']);
    expect(pricedTierNames(plain)).toEqual([]);
  });

  it('moves between tiers without losing the default rates', () => {
    const priority = at(gpt5, 'priority');
    expect(priority.serviceTier).toBe('priority');
    expect(at(priority, 'flex').input).toBe(625_000_000n);
    expect(at(at(priority, 'flex'), 'default').input).toBe(1_250_000_000n);
    expect(at(priority, 'default').output).toBe(10_000_000_000n);
  });
});

describe('priceForServedTier (what the commit charges)', () => {
  it('charges the tier the provider reports, whatever was held', () => {
    const held = at(gpt5, 'auto');
    expect(costMicros(priceForServedTier(held, 'priority').price, oneMillionEach)).toBe(22_500_000);
    expect(costMicros(priceForServedTier(held, 'default').price, oneMillionEach)).toBe(11_250_000);
    expect(costMicros(priceForServedTier(at(gpt5, 'default'), 'priority').price, oneMillionEach)).toBe(22_500_000);
    expect(costMicros(priceForServedTier(at(gpt5, 'priority'), 'flex').price, oneMillionEach)).toBe(5_625_000);
    // Anthropic reports its default tier as "standard"
    expect(costMicros(priceForServedTier(held, 'standard').price, oneMillionEach)).toBe(11_250_000);
  });

  it('keeps the held tier when nothing is reported', () => {
    const held = at(gpt5, 'priority');
    expect(priceForServedTier(held, undefined)).toEqual({ price: held, known: true });
    expect(priceForServedTier(held, null).price).toBe(held);
  });

  it('charges an unpriced reported tier at the dearest priced tier and says so', () => {
    const served = priceForServedTier(at(gpt5, 'flex'), 'scale');
    expect(served.known).toBe(false);
    expect(costMicros(served.price, oneMillionEach)).toBe(22_500_000);
    const plainServed = priceForServedTier(plain, 'priority');
    expect(plainServed.known).toBe(false);
    expect(costMicros(plainServed.price, oneMillionEach)).toBe(750_000);
  });

  it('applies the tier cached-input rate', () => {
    const cached = usage({ inputTokens: 1_000_000, cachedInputTokens: 1_000_000 });
    expect(costMicros(priceForServedTier(gpt5, 'priority').price, cached)).toBe(250_000);
  });
});

describe('long-context tiers inside service tiers', () => {
  const gpt54 = parsePriceEntry(
    'gpt-5.4',
    {
      ...base,
      context_window: 1_050_000,
      input: '2.5',
      output: '15',
      long_context: { above_input_tokens: 272_000, input: '5', output: '22.5' },
      service_tiers: {
        priority: {
          input: '5',
          output: '30',
          long_context: { above_input_tokens: 272_000, input: '10', output: '45' },
        },
      },
    },
    'test',
  );

  it('uses the service tier own long-context rates above the threshold', () => {
    expect(worstCaseMicros(at(gpt54, 'priority'), 300_000, 0)).toBe(3_000_000);
    expect(worstCaseMicros(at(gpt54, 'default'), 300_000, 0)).toBe(1_500_000);
    expect(worstCaseMicros(at(gpt54, 'auto'), 300_000, 1_000_000)).toBe(3_000_000 + 45_000_000);
  });
});
