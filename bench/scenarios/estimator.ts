// The estimator's share of an agent-loop step, in-process: countChatInputTokens on
// each step's body with the per-message count cache (a fresh tokenizer per run, so
// step N hits the cache for everything sent before) and without it (cache size 0,
// every text encoded), plus JSON.parse of the body, which runcap also pays per step.
import { agentRunBodies, BENCH_MODEL } from '../lib/bodies.js';
import { REPO_ROOT } from '../lib/processes.js';
import { countChatInputTokens } from '../../src/estimate/chat.js';
import { createTokenizer } from '../../src/estimate/tokenizer.js';
import { loadPriceCatalog } from '../../src/pricing/load.js';
import { lookupModel } from '../../src/pricing/lookup.js';
import type { ModelPrice } from '../../src/pricing/types.js';
import { join } from 'node:path';

export interface EstimatorStep {
  /** 1-based step number. */
  readonly step: number;
  readonly inputTokens: number;
  readonly bodyChars: number;
  readonly parseMs: number;
  readonly cachedMs: number;
  /** NaN for steps not measured uncached. */
  readonly uncachedMs: number;
}

function priceOf(model: string): ModelPrice {
  const catalog = loadPriceCatalog(join(REPO_ROOT, 'prices'));
  const found = lookupModel(catalog.latest, model);
  if (!found.found) throw new Error(`no price for ${model}`);
  return found.price;
}

function timeMs<T>(work: () => T): { value: T; ms: number } {
  const started = process.hrtime.bigint();
  const value = work();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** Medians over `repeats` fresh runs (new texts each time) for every step. */
export function measureEstimator(options: {
  steps: number;
  newCharsPerStep: number;
  uncachedSteps: readonly number[];
  repeats: number;
  seed: string;
}): EstimatorStep[] {
  const price = priceOf(BENCH_MODEL);
  // Load the encoder outside the timings.
  createTokenizer().count('warm up', price.encoding);
  const samples: { parse: number[]; cached: number[]; uncached: number[]; tokens: number; chars: number }[] =
    Array.from({ length: options.steps }, () => ({ parse: [], cached: [], uncached: [], tokens: 0, chars: 0 }));
  // Repeat -1 warms the JIT and is not recorded.
  for (let repeat = -1; repeat < options.repeats; repeat += 1) {
    const bodies = agentRunBodies(`${options.seed}:estimator${repeat}`, options.steps, options.newCharsPerStep);
    const cached = createTokenizer();
    const uncached = createTokenizer({ cacheMaxChars: 0 });
    bodies.forEach((raw, index) => {
      const sample = samples[index];
      if (!sample) return;
      if (repeat < 0) {
        countChatInputTokens(JSON.parse(raw) as Record<string, unknown>, price, cached);
        return;
      }
      const parsed = timeMs(() => JSON.parse(raw) as Record<string, unknown>);
      const counted = timeMs(() => countChatInputTokens(parsed.value, price, cached));
      sample.parse.push(parsed.ms);
      sample.cached.push(counted.ms);
      sample.tokens = counted.value;
      sample.chars = raw.length;
      if (options.uncachedSteps.includes(index + 1)) {
        const fresh = JSON.parse(raw) as Record<string, unknown>;
        sample.uncached.push(timeMs(() => countChatInputTokens(fresh, price, uncached)).ms);
      }
    });
  }
  const med = (values: readonly number[]): number => {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  return samples.map((sample, index) => ({
    step: index + 1,
    inputTokens: sample.tokens,
    bodyChars: sample.chars,
    parseMs: med(sample.parse),
    cachedMs: med(sample.cached),
    uncachedMs: med(sample.uncached),
  }));
}
