// The shapes of a loaded price table (docs/design.md §9). Pure types; the loader lives in load.ts.
import type { RateNanoPerMTok } from '../money/micros.js';

export type Encoding = 'o200k_base' | 'cl100k_base' | 'p50k_base' | 'r50k_base';

export interface Capabilities {
  readonly tools: boolean;
  readonly jsonSchema: boolean;
  readonly vision: boolean;
}

export interface LongContextTier {
  /** The tier applies when a call's input tokens exceed this. */
  readonly aboveInputTokens: number;
  readonly input: RateNanoPerMTok;
  readonly cachedInput: RateNanoPerMTok;
  /** Cache-write rate inside the tier (Anthropic doubles it above 200K); absent = the base cacheWrite. */
  readonly cacheWrite?: RateNanoPerMTok;
  /** 1-hour cache-write rate inside the tier; absent = max(tier cacheWrite, 2 x tier input) (cost.ts). */
  readonly cacheWrite1h?: RateNanoPerMTok;
  readonly output: RateNanoPerMTok;
}

/**
 * The rates of one OpenAI `service_tier` (`priority`, `flex`, ...): they replace the entry's
 * default-tier rates when a request asks for the tier or the provider reports serving it.
 * Table field `service_tiers` (docs/pricing.md). A tier of a model with a long_context tier
 * carries its own, so a tier never silently falls back to default-tier long-context prices.
 */
export interface ServiceTierRates {
  readonly input: RateNanoPerMTok;
  readonly cachedInput: RateNanoPerMTok;
  readonly cacheWrite: RateNanoPerMTok;
  readonly cacheWrite1h: RateNanoPerMTok;
  readonly output: RateNanoPerMTok;
  readonly reasoning: RateNanoPerMTok;
  readonly longContext: LongContextTier | null;
}

export interface ModelPrice {
  /** Canonical model name (the key in the table). */
  readonly model: string;
  readonly provider: string;
  readonly aliases: readonly string[];
  readonly encoding: Encoding;
  /** Multiplier on the o200k count for models whose tokenizer is not public (1 when exact). */
  readonly estimateFactor: number;
  readonly input: RateNanoPerMTok;
  readonly cachedInput: RateNanoPerMTok;
  /** 5-minute cache writes (Anthropic `ephemeral_5m`); the only cache-write class of other providers. */
  readonly cacheWrite: RateNanoPerMTok;
  /** 1-hour cache writes (Anthropic `ephemeral_1h`); table field `cache_write_1h`, never below cacheWrite. */
  readonly cacheWrite1h: RateNanoPerMTok;
  readonly output: RateNanoPerMTok;
  readonly reasoning: RateNanoPerMTok;
  readonly contextWindow: number;
  /** 0 for embedding models. */
  readonly maxOutputTokens: number;
  readonly capabilities: Capabilities;
  readonly downgradeTo: readonly string[];
  readonly longContext: LongContextTier | null;
  /**
   * Which service tier's rates the rate fields above hold: "default" (absent = "default") for an
   * entry as written in the table; a tier name, or "auto" (the dearest of all tiers), for a
   * price made by priceAtServiceTier (service-tier.ts).
   */
  readonly serviceTier?: string;
  /** Priced service tiers besides the default, by name (`priority`, `flex`); absent = none. */
  readonly serviceTiers?: ReadonlyMap<string, ServiceTierRates>;
}

export interface PriceTable {
  readonly version: string;
  /** File the table was loaded from (for error messages and /readyz). */
  readonly source: string;
  /** Canonical names and aliases both map to the entry. */
  readonly models: ReadonlyMap<string, ModelPrice>;
}

/**
 * Token usage of one call, OpenAI semantics: cached (cache-read) and cache-write tokens are
 * inside inputTokens, reasoning tokens inside outputTokens. An adapter for a provider that
 * reports them apart (Anthropic: `input_tokens` is the uncached part) sums them into
 * inputTokens. The two cache-write classes are disjoint: cacheWriteTokens are 5-minute writes
 * (priced at `cache_write`), cacheWrite1hTokens 1-hour writes (priced at `cache_write_1h`).
 */
export interface Usage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
  readonly cacheWrite1hTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  /** The service tier the provider reports it served (OpenAI `service_tier`); absent or null = not reported. */
  readonly serviceTier?: string | null;
}

export type PriceLookup =
  { readonly found: true; readonly price: ModelPrice } | { readonly found: false; readonly model: string };
