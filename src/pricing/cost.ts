// Cost of a call in integer micro-USD from a ModelPrice: actual (from usage), worst case (for
// holds), the input floor (for cut streams) and the largest affordable output cap. Pure; every
// sum goes through costOf, which multiplies exactly and rounds up once.
import { MoneyError, costOf, type Micros, type RateNanoPerMTok } from '../money/micros.js';
import type { ModelPrice, Usage } from './types.js';

const RATE_SCALE = 1_000_000_000n;

/**
 * The 1-hour cache-write rate of an entry (or tier) that does not state one: max(cache_write,
 * 2 x input). Anthropic prices 1-hour writes at 2x the input rate (5-minute writes at 1.25x), so
 * this is exact for every Claude model whose table omits it, and never below the 5-minute rate.
 */
export function oneHourWriteFallback(input: RateNanoPerMTok, cacheWrite: RateNanoPerMTok): RateNanoPerMTok {
  return maxRate(cacheWrite, 2n * input);
}

/** What the request can make the provider bill on the input side beyond plain input (for holds). */
export interface WorstCaseOptions {
  /**
   * The request can write cache entries. Default true (an endpoint that cannot tell); the
   * Anthropic Messages estimate says false for a request without any `cache_control`.
   */
  readonly cacheWrite?: boolean;
  /** The request can write 1-hour cache entries (Anthropic `cache_control.ttl: "1h"`). */
  readonly cacheWrite1h?: boolean;
}

/** The rates that apply to one call, after choosing the long-context tier by input size. */
export interface EffectiveRates {
  readonly input: RateNanoPerMTok;
  readonly cachedInput: RateNanoPerMTok;
  readonly cacheWrite: RateNanoPerMTok;
  readonly cacheWrite1h: RateNanoPerMTok;
  readonly output: RateNanoPerMTok;
  readonly reasoning: RateNanoPerMTok;
  /** True when the long-context tier applies. */
  readonly longContext: boolean;
}

/**
 * The tier applies when inputTokens > aboveInputTokens; its input, cached-input, cache-write
 * and output rates replace the base ones. Reasoning follows the tier's output rate when the
 * model bills reasoning as output (reasoning === output); a distinct reasoning rate is kept.
 */
export function ratesFor(price: ModelPrice, inputTokens: number): EffectiveRates {
  const tier = price.longContext;
  if (tier === null || inputTokens <= tier.aboveInputTokens) {
    const { input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning } = price;
    return { input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning, longContext: false };
  }
  const cacheWrite = tier.cacheWrite ?? price.cacheWrite;
  return {
    input: tier.input,
    cachedInput: tier.cachedInput,
    cacheWrite,
    cacheWrite1h: tier.cacheWrite1h ?? oneHourWriteFallback(tier.input, cacheWrite),
    output: tier.output,
    reasoning: price.reasoning === price.output ? tier.output : price.reasoning,
    longContext: true,
  };
}

/**
 * Actual cost of a finished call, OpenAI usage semantics: cached and cache-write tokens (both
 * classes) are part of inputTokens, reasoning tokens part of outputTokens; 5-minute writes are
 * priced at cacheWrite, 1-hour writes at cacheWrite1h. If a provider reports parts larger than
 * the whole (inconsistent usage), the remainder is clamped at 0 and the reported parts are
 * still charged in full, so an inconsistency can only over-count, never under-count.
 * The rates are `price`'s own: choosing the served service tier is the caller's
 * (priceAtServiceTier, service-tier.ts).
 */
export function costMicros(price: ModelPrice, usage: Usage): Micros {
  assertUsage(usage);
  const rates = ratesFor(price, usage.inputTokens);
  const writes = usage.cacheWriteTokens + usage.cacheWrite1hTokens;
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - writes);
  const plainOutput = Math.max(0, usage.outputTokens - usage.reasoningTokens);
  return costOf([
    { tokens: uncached, rate: rates.input },
    { tokens: usage.cachedInputTokens, rate: rates.cachedInput },
    { tokens: usage.cacheWriteTokens, rate: rates.cacheWrite },
    { tokens: usage.cacheWrite1hTokens, rate: rates.cacheWrite1h },
    { tokens: plainOutput, rate: rates.output },
    { tokens: usage.reasoningTokens, rate: rates.reasoning },
  ]);
}

/**
 * The most a call with this input and this output cap can cost (docs/design.md §4): every input token at
 * the dearest input class of the applicable tier (the input rate, or the 5-minute cache-write
 * rate where writing a cache costs more, as on Anthropic; the 1-hour write rate too when
 * `options.cacheWrite1h` says the request can trigger one; a table never prices cached input
 * above input, but the max covers it too) plus every output token at max(output, reasoning).
 * `outputTokens` is the effective cap already multiplied by n / best_of.
 */
export function worstCaseMicros(
  price: ModelPrice,
  inputTokens: number,
  outputTokens: number,
  options: WorstCaseOptions = {},
): Micros {
  const { inputRate, outputRate } = worstRates(price, inputTokens, options);
  return costOf([
    { tokens: inputTokens, rate: inputRate },
    { tokens: outputTokens, rate: outputRate },
  ]);
}

/** The input part alone at the (tier) input rate: the least a call that reached the model is charged. */
export function inputCostMicros(price: ModelPrice, inputTokens: number): Micros {
  return costOf([{ tokens: inputTokens, rate: ratesFor(price, inputTokens).input }]);
}

/**
 * The largest output token count k with worstCaseMicros(price, inputTokens, k) <= budgetMicros;
 * 0 when the input alone does not fit (or the budget is negative). A model whose output is
 * free (embeddings) returns Number.MAX_SAFE_INTEGER, so the result is always a usable count;
 * callers take the min with the other caps.
 */
export function maxOutputAffordable(
  price: ModelPrice,
  inputTokens: number,
  budgetMicros: Micros,
  options: WorstCaseOptions = {},
): number {
  if (!Number.isSafeInteger(budgetMicros))
    throw new MoneyError(`budget must be integer micro-USD, got ${budgetMicros}`);
  assertTokens(inputTokens, 'inputTokens');
  if (budgetMicros < 0) return 0;
  const { inputRate, outputRate } = worstRates(price, inputTokens, options);
  // ceil(x / SCALE) <= budget  <=>  x <= budget * SCALE, because budget is an integer.
  const room = BigInt(budgetMicros) * RATE_SCALE - BigInt(inputTokens) * inputRate;
  if (room < 0n) return 0;
  if (outputRate === 0n) return Number.MAX_SAFE_INTEGER;
  const tokens = room / outputRate;
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}

function worstRates(
  price: ModelPrice,
  inputTokens: number,
  options: WorstCaseOptions,
): { inputRate: RateNanoPerMTok; outputRate: RateNanoPerMTok } {
  const rates = ratesFor(price, inputTokens);
  const plain = maxRate(rates.input, rates.cachedInput);
  const inputSide = options.cacheWrite === false ? plain : maxRate(plain, rates.cacheWrite);
  const inputRate = options.cacheWrite1h === true ? maxRate(inputSide, rates.cacheWrite1h) : inputSide;
  return { inputRate, outputRate: maxRate(rates.output, rates.reasoning) };
}

function maxRate(a: RateNanoPerMTok, b: RateNanoPerMTok): RateNanoPerMTok {
  return a > b ? a : b;
}

function assertUsage(usage: Usage): void {
  assertTokens(usage.inputTokens, 'usage.inputTokens');
  assertTokens(usage.cachedInputTokens, 'usage.cachedInputTokens');
  assertTokens(usage.cacheWriteTokens, 'usage.cacheWriteTokens');
  assertTokens(usage.cacheWrite1hTokens, 'usage.cacheWrite1hTokens');
  assertTokens(usage.outputTokens, 'usage.outputTokens');
  assertTokens(usage.reasoningTokens, 'usage.reasoningTokens');
}

function assertTokens(tokens: number, what: string): void {
  if (!Number.isSafeInteger(tokens) || tokens < 0) {
    throw new MoneyError(`${what} must be a non-negative integer token count, got ${tokens}`);
  }
}
