import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRate, parseRate } from '../money/micros.js';
import { parsePriceEntry } from './parse-entry.js';
import { costMicros, inputCostMicros, maxOutputAffordable, ratesFor, worstCaseMicros } from './cost.js';
import type { ModelPrice, Usage } from './types.js';

const base = { provider: 'openai', context_window: 1_000_000, max_output_tokens: 64_000 };
const price = (raw: Record<string, unknown>): ModelPrice => parsePriceEntry('m', { ...base, ...raw }, 'test');

const mini = price({ input: '0.15', cached_input: '0.075', output: '0.60' });
const reasoner = price({ input: '2', cached_input: '0.5', output: '8', reasoning: '12' });
const sonnet = price({
  input: '3',
  cached_input: '0.30',
  cache_write: '3.75',
  output: '15',
  long_context: { above_input_tokens: 200_000, input: '6', cached_input: '0.60', cache_write: '7.50', output: '22.50' },
});
const noTierWrite: ModelPrice = { ...sonnet, longContext: { ...sonnet.longContext!, cacheWrite: undefined } };
const embedding = price({ input: '0.02', output: '0', max_output_tokens: 0 });

const usage = (u: Partial<Usage>): Usage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  ...u,
});

describe('costMicros', () => {
  it.each<[string, ModelPrice, Partial<Usage>, number]>([
    ['one token of a $0.15/1M model rounds up to 1 micro', mini, { inputTokens: 1 }, 1],
    ['zero usage costs nothing', mini, {}, 0],
    ['1M input + 1M output', mini, { inputTokens: 1_000_000, outputTokens: 1_000_000 }, 750_000],
    // 600K uncached * 0.15 + 400K cached * 0.075 = 90_000 + 30_000
    ['cached tokens are inside inputTokens', mini, { inputTokens: 1_000_000, cachedInputTokens: 400_000 }, 120_000],
    // 1000 plain output * $8/1M + 3000 reasoning * $12/1M = 8_000 + 36_000 micros
    [
      'reasoning tokens are inside outputTokens at the reasoning rate',
      reasoner,
      { outputTokens: 4000, reasoningTokens: 3000 },
      44_000,
    ],
    // 100K uncached * 3 + 50K cached * 0.30 + 50K writes * 3.75 = 300_000 + 15_000 + 187_500
    [
      'cache writes are inside inputTokens at the cache-write rate',
      sonnet,
      { inputTokens: 200_000, cachedInputTokens: 50_000, cacheWriteTokens: 50_000 },
      502_500,
    ],
    // exactly 200K input is not above the threshold: base rates
    ['at the threshold the base rates apply', sonnet, { inputTokens: 200_000, outputTokens: 1000 }, 600_000 + 15_000],
    // 200_001 * 6 = 1_200_006; 1000 * 22.5 = 22_500
    [
      'above the threshold the tier replaces every rate',
      sonnet,
      { inputTokens: 200_001, outputTokens: 1000 },
      1_200_006 + 22_500,
    ],
    // 100_001 uncached * 6 + 50K cached * 0.6 + 50K writes * 7.5 + 1000 reasoning at tier output 22.5
    [
      'tier cached, cache-write and reasoning (= output) rates',
      sonnet,
      {
        inputTokens: 200_001,
        cachedInputTokens: 50_000,
        cacheWriteTokens: 50_000,
        outputTokens: 1000,
        reasoningTokens: 1000,
      },
      600_006 + 30_000 + 375_000 + 22_500,
    ],
    [
      'a tier without its own cache-write rate keeps the base one',
      noTierWrite,
      { inputTokens: 300_000, cacheWriteTokens: 100_000 },
      1_200_000 + 375_000,
    ],
    // inconsistent report: parts larger than the whole are charged in full, the remainder clamps to 0
    [
      'inconsistent usage over-counts, never under-counts',
      mini,
      { inputTokens: 10, cachedInputTokens: 1_000_000, outputTokens: 5, reasoningTokens: 1_000_000 },
      75_000 + 600_000,
    ],
    ['embeddings bill input only', embedding, { inputTokens: 1_000_000 }, 20_000],
  ])('%s', (_name, p, u, expected) => {
    expect(costMicros(p, usage(u))).toBe(expected);
  });

  it('reasoning keeps its own rate inside the tier when it differs from output', () => {
    const tiered = price({
      input: '1',
      output: '4',
      reasoning: '5',
      long_context: { above_input_tokens: 10, input: '2', output: '8' },
    });
    expect(ratesFor(tiered, 11)).toMatchObject({
      longContext: true,
      output: 8_000_000_000n,
      reasoning: 5_000_000_000n,
    });
    expect(ratesFor(tiered, 10)).toMatchObject({
      longContext: false,
      output: 4_000_000_000n,
      reasoning: 5_000_000_000n,
    });
  });

  it('prices 5-minute writes at cache_write and 1-hour writes at cache_write_1h', () => {
    const opus = price({ input: '5', cached_input: '0.50', cache_write: '6.25', cache_write_1h: '10', output: '25' });
    // 100K uncached * 5 + 100K 5m * 6.25 + 100K 1h * 10 = 500_000 + 625_000 + 1_000_000
    expect(
      costMicros(opus, usage({ inputTokens: 300_000, cacheWriteTokens: 100_000, cacheWrite1hTokens: 100_000 })),
    ).toBe(2_125_000);
  });

  it('without cache_write_1h, 1-hour writes cost max(cache_write, 2 x input), never less than 5-minute writes', () => {
    // 2 x 3 = 6 > 3.75: Anthropic's published 1-hour multiplier
    expect(costMicros(sonnet, usage({ inputTokens: 100_000, cacheWrite1hTokens: 100_000 }))).toBe(600_000);
    expect(sonnet.cacheWrite1h).toBe(6_000_000_000n);
    // a 5-minute rate above 2 x input wins
    const odd = price({ input: '1', cache_write: '3', output: '1' });
    expect(odd.cacheWrite1h).toBe(3_000_000_000n);
    // inside the long-context tier: the tier's own rates (2 x 6 = 12 > 7.50)
    expect(ratesFor(sonnet, 300_000).cacheWrite1h).toBe(12_000_000_000n);
    expect(ratesFor(noTierWrite, 300_000).cacheWrite1h).toBe(12_000_000_000n);
  });

  it.each([-1, 1.5, Number.NaN])('rejects a bad token count %s', (bad) => {
    expect(() => costMicros(mini, usage({ inputTokens: bad }))).toThrow(
      /usage.inputTokens must be a non-negative integer/,
    );
  });
});

/** Plain BigInt reference: the same semantics written the long way, to check costMicros against. */
function referenceCost(p: ModelPrice, u: Usage): bigint {
  const tier = p.longContext !== null && u.inputTokens > p.longContext.aboveInputTokens ? p.longContext : null;
  const input = tier?.input ?? p.input;
  const cached = tier?.cachedInput ?? p.cachedInput;
  const write = tier === null ? p.cacheWrite : (tier.cacheWrite ?? p.cacheWrite);
  const tierInput = tier?.input ?? 0n;
  const write1h =
    tier === null ? p.cacheWrite1h : (tier.cacheWrite1h ?? (write > 2n * tierInput ? write : 2n * tierInput));
  const output = tier?.output ?? p.output;
  const reasoning = tier !== null && p.reasoning === p.output ? tier.output : p.reasoning;
  const big = BigInt;
  const uncached = u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens - u.cacheWrite1hTokens;
  const plain = u.outputTokens - u.reasoningTokens;
  const nano =
    big(uncached < 0 ? 0 : uncached) * input +
    big(u.cachedInputTokens) * cached +
    big(u.cacheWriteTokens) * write +
    big(u.cacheWrite1hTokens) * write1h +
    big(plain < 0 ? 0 : plain) * output +
    big(u.reasoningTokens) * reasoning;
  const scale = 1_000_000_000n;
  return nano / scale + (nano % scale === 0n ? 0n : 1n);
}

const rate = fc
  .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([whole, frac]) => `${whole}.${String(frac).padStart(9, '0')}`);
const arbPrice = fc
  .record({
    input: rate,
    cached: rate,
    write: rate,
    write1hExtra: fc.option(rate, { nil: undefined }),
    output: rate,
    reasoning: fc.option(rate, { nil: undefined }),
    tier: fc.option(
      fc.record({ above: fc.integer({ min: 1, max: 500_000 }), input: rate, cached: rate, output: rate }),
      { nil: undefined },
    ),
  })
  .map((r) =>
    price({
      input: r.input,
      cached_input: r.cached,
      cache_write: r.write,
      ...(r.write1hExtra === undefined
        ? {}
        : { cache_write_1h: formatRate(parseRate(r.write) + parseRate(r.write1hExtra)) }),
      output: r.output,
      ...(r.reasoning === undefined ? {} : { reasoning: r.reasoning }),
      ...(r.tier === undefined
        ? {}
        : {
            long_context: {
              above_input_tokens: r.tier.above,
              input: r.tier.input,
              cached_input: r.tier.cached,
              output: r.tier.output,
            },
          }),
    }),
  );
const tokens = fc.integer({ min: 0, max: 2_000_000 });
const arbUsage = fc.record({
  inputTokens: tokens,
  cachedInputTokens: tokens,
  cacheWriteTokens: tokens,
  cacheWrite1hTokens: tokens,
  outputTokens: tokens,
  reasoningTokens: tokens,
});

describe('properties', () => {
  it('costMicros equals the BigInt reference', () => {
    fc.assert(
      fc.property(arbPrice, arbUsage, (p, u) => {
        expect(BigInt(costMicros(p, u))).toBe(referenceCost(p, u));
      }),
      { numRuns: 2000 },
    );
  });

  it('worstCaseMicros bounds the cost of every usage consistent with it', () => {
    const consistent = fc
      .tuple(tokens, tokens, fc.nat(), fc.nat(), fc.nat(), fc.nat())
      .map(([input, output, c, w, h, r]) => {
        const cached = input === 0 ? 0 : c % (input + 1);
        const write = input - cached === 0 ? 0 : w % (input - cached + 1);
        const write1h = input - cached - write === 0 ? 0 : h % (input - cached - write + 1);
        return {
          inputTokens: input,
          cachedInputTokens: cached,
          cacheWriteTokens: write,
          cacheWrite1hTokens: write1h,
          outputTokens: output,
          reasoningTokens: output === 0 ? 0 : r % (output + 1),
        };
      });
    fc.assert(
      fc.property(arbPrice, consistent, (p, u) => {
        const options = { cacheWrite1h: u.cacheWrite1hTokens > 0 };
        expect(costMicros(p, u)).toBeLessThanOrEqual(worstCaseMicros(p, u.inputTokens, u.outputTokens, options));
      }),
      { numRuns: 2000 },
    );
  });

  it('maxOutputAffordable is the exact boundary of worstCaseMicros', () => {
    fc.assert(
      fc.property(arbPrice, tokens, fc.integer({ min: 0, max: 50_000_000 }), (p, input, budget) => {
        const k = maxOutputAffordable(p, input, budget);
        if (worstCaseMicros(p, input, 0) > budget) {
          expect(k).toBe(0);
          return;
        }
        expect(worstCaseMicros(p, input, k)).toBeLessThanOrEqual(budget);
        if (k < Number.MAX_SAFE_INTEGER) expect(worstCaseMicros(p, input, k + 1)).toBeGreaterThan(budget);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('worstCaseMicros, inputCostMicros, maxOutputAffordable', () => {
  it.each<[string, ModelPrice, number, number, number]>([
    ['input rate + output rate', mini, 1_000_000, 1_000_000, 750_000],
    ['output at max(output, reasoning)', reasoner, 0, 1_000_000, 12_000_000],
    // Anthropic cache writes cost more than input: every input token is held at 3.75
    ['input at max(input, cache write)', sonnet, 100_000, 0, 375_000],
    ['the long-context tier by input size', sonnet, 400_000, 1000, 3_000_000 + 22_500],
    ['rounds up once', mini, 1, 1, 1],
  ])('worst case: %s', (_name, p, input, output, expected) => {
    expect(worstCaseMicros(p, input, output)).toBe(expected);
  });

  it('holds input at the 1-hour write rate only when the request can write 1-hour entries', () => {
    expect(worstCaseMicros(sonnet, 100_000, 0)).toBe(375_000);
    expect(worstCaseMicros(sonnet, 100_000, 0, { cacheWrite1h: true })).toBe(600_000);
    // an OpenAI model is never held at the 1-hour fallback (2 x input) by default
    expect(worstCaseMicros(mini, 1_000_000, 0)).toBe(150_000);
    expect(maxOutputAffordable(sonnet, 100_000, 600_000, { cacheWrite1h: true })).toBe(0);
    expect(maxOutputAffordable(sonnet, 100_000, 615_000, { cacheWrite1h: true })).toBe(1000);
  });

  it('holds input at the plain input rate when the request cannot write the cache (Messages without cache_control)', () => {
    expect(worstCaseMicros(sonnet, 100_000, 0, { cacheWrite: false })).toBe(300_000);
    expect(worstCaseMicros(sonnet, 100_000, 0, { cacheWrite: true })).toBe(375_000);
    expect(maxOutputAffordable(sonnet, 100_000, 315_000, { cacheWrite: false })).toBe(1000);
  });

  it('inputCostMicros uses the (tier) input rate', () => {
    expect(inputCostMicros(mini, 1)).toBe(1);
    expect(inputCostMicros(mini, 1_000_000)).toBe(150_000);
    expect(inputCostMicros(sonnet, 200_000)).toBe(600_000);
    expect(inputCostMicros(sonnet, 300_000)).toBe(1_800_000);
  });

  it.each<[string, ModelPrice, number, number, number]>([
    ['exact fit', mini, 1_000_000, 750_000, 1_000_000],
    ['one micro short loses the tokens that micro paid for', mini, 1_000_000, 749_999, 999_998],
    ['input alone does not fit', mini, 1_000_000, 149_999, 0],
    ['negative available budget', mini, 0, -5, 0],
    ['free output is unbounded (MAX_SAFE_INTEGER)', embedding, 1000, 20, Number.MAX_SAFE_INTEGER],
  ])('maxOutputAffordable: %s', (_name, p, input, budget, expected) => {
    expect(maxOutputAffordable(p, input, budget)).toBe(expected);
  });
});
