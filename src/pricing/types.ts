// The shapes of a loaded price table (SPEC §9). Pure types; the loader lives in load.ts.
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
  readonly output: RateNanoPerMTok;
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
  readonly cacheWrite: RateNanoPerMTok;
  readonly output: RateNanoPerMTok;
  readonly reasoning: RateNanoPerMTok;
  readonly contextWindow: number;
  /** 0 for embedding models. */
  readonly maxOutputTokens: number;
  readonly capabilities: Capabilities;
  readonly downgradeTo: readonly string[];
  readonly longContext: LongContextTier | null;
}

export interface PriceTable {
  readonly version: string;
  /** File the table was loaded from (for error messages and /readyz). */
  readonly source: string;
  /** Canonical names and aliases both map to the entry. */
  readonly models: ReadonlyMap<string, ModelPrice>;
}

/** Token usage of one call, OpenAI semantics: cached tokens are inside inputTokens, reasoning inside outputTokens. */
export interface Usage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
}

export type PriceLookup =
  { readonly found: true; readonly price: ModelPrice } | { readonly found: false; readonly model: string };
