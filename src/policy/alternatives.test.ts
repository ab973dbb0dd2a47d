// Alternatives (docs/design.md §7): chain order, capability needs, context fit, budget fit, tenant allow.
import { describe, expect, it } from 'vitest';
import { parseRate } from '../money/micros.js';
import type { ModelPrice } from '../pricing/types.js';
import { downgradeCandidates, findAlternatives, satisfiesNeeds, type ModelPlan } from './alternatives.js';

function model(name: string, downgradeTo: string[], extra: Partial<ModelPrice> = {}): ModelPrice {
  return {
    model: name,
    provider: 'openai',
    aliases: [],
    encoding: 'o200k_base',
    estimateFactor: 1,
    input: parseRate('1'),
    cachedInput: parseRate('1'),
    cacheWrite: parseRate('1'),
    cacheWrite1h: parseRate('1'),
    output: parseRate('1'),
    reasoning: parseRate('1'),
    contextWindow: 128_000,
    maxOutputTokens: 16_000,
    capabilities: { tools: true, jsonSchema: true, vision: true },
    downgradeTo,
    longContext: null,
    ...extra,
  };
}
const table = new Map<string, ModelPrice>([
  ['big', model('big', ['mid', 'no-tools'])],
  ['mid', model('mid', ['small', 'big'])],
  ['small', model('small', [], { contextWindow: 32_000 })],
  ['no-tools', model('no-tools', [], { capabilities: { tools: false, jsonSchema: true, vision: true } })],
]);
const lookup = (name: string) => table.get(name) ?? null;
const plan =
  (inputTokens: number, amounts: Record<string, number>) =>
  (price: ModelPrice): ModelPlan | null =>
    inputTokens + 1000 > price.contextWindow
      ? null
      : { price, inputTokens, maxOutputTokens: 1000, amountMicros: amounts[price.model] ?? 0 };
const needs = { tools: true, jsonSchema: false, vision: false };

describe('alternatives', () => {
  it('walks downgrade chains breadth-first, each model once, never the requested one', () => {
    expect(downgradeCandidates(table.get('big') as ModelPrice, new Map(), lookup).map((m) => m.model)).toEqual([
      'mid',
      'no-tools',
      'small',
    ]);
    expect(
      downgradeCandidates(table.get('big') as ModelPrice, new Map([['big', ['small']]]), lookup).map((m) => m.model),
    ).toEqual(['small']);
  });

  it('keeps only allowed, capable models whose context and budget fit', () => {
    const base = { requested: table.get('big') as ModelPrice, chains: new Map<string, string[]>(), lookup, needs };
    const amounts = { mid: 50, small: 10, 'no-tools': 1 };
    expect(
      findAlternatives({ ...base, allowed: () => true, plan: plan(1_000, amounts), fits: () => true }).map(
        (p) => p.price.model,
      ),
    ).toEqual(['mid', 'small']);
    expect(
      findAlternatives({ ...base, allowed: () => true, plan: plan(1_000, amounts), fits: (a) => a <= 20 }).map(
        (p) => p.price.model,
      ),
    ).toEqual(['small']);
    expect(
      findAlternatives({ ...base, allowed: (m) => m !== 'small', plan: plan(1_000, amounts), fits: () => true }).map(
        (p) => p.price.model,
      ),
    ).toEqual(['mid']);
    // 100K tokens of context never fits the 32K model.
    expect(
      findAlternatives({ ...base, allowed: () => true, plan: plan(100_000, amounts), fits: () => true }).map(
        (p) => p.price.model,
      ),
    ).toEqual(['mid']);
  });

  it('checks every need', () => {
    const noVision = model('nv', [], { capabilities: { tools: true, jsonSchema: true, vision: false } });
    expect(satisfiesNeeds(noVision, { tools: true, jsonSchema: true, vision: false })).toBe(true);
    expect(satisfiesNeeds(noVision, { tools: false, jsonSchema: false, vision: true })).toBe(false);
  });
});
