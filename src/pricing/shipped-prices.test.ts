import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPriceCatalog } from './load.js';
import { canonicalModels, lookupModel } from './lookup.js';
import { costMicros, worstCaseMicros } from './cost.js';

const PRICES_DIR = fileURLToPath(new URL('../../prices', import.meta.url));
const catalog = loadPriceCatalog(PRICES_DIR);
const table = catalog.latest;
/** The hand-compiled table the catalog-generated ones replaced; still shipped so pinned tenants load. */
const first = catalog.byVersion.get('2026-11-01')!;

const REQUIRED = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'gpt-5',
  'gpt-5-mini',
  'gpt-5-nano',
  'o3',
  'o4-mini',
  'text-embedding-3-small',
  'text-embedding-3-large',
  'gpt-3.5-turbo',
  'gpt-4-turbo',
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'claude-opus-4-1',
];

describe('shipped prices/ folder', () => {
  it('loads, and the latest version is 2026-11-01 or newer', () => {
    expect(table.version >= '2026-11-01').toBe(true);
    expect(catalog.byVersion.get(table.version)).toBe(table);
  });

  it.each(REQUIRED)('prices %s', (model) => {
    const hit = lookupModel(table, model);
    expect(hit.found).toBe(true);
    if (hit.found) expect(hit.price.input > 0n).toBe(true);
  });

  it('resolves dated snapshots', () => {
    for (const [alias, model] of [
      ['gpt-4o-2024-08-06', 'gpt-4o'],
      ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
      ['gpt-5-2025-08-07', 'gpt-5'],
      ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
      ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ] as const) {
      const hit = lookupModel(table, alias);
      expect(hit.found && hit.price.model).toBe(model);
    }
  });

  it('uses cl100k_base for gpt-3.5/gpt-4-turbo/embeddings and o200k x 1.4 with priced cache writes for Claude', () => {
    for (const model of ['gpt-3.5-turbo', 'gpt-4-turbo', 'text-embedding-3-small', 'text-embedding-3-large']) {
      expect(table.models.get(model)?.encoding).toBe('cl100k_base');
    }
    for (const model of ['gpt-4o', 'gpt-4.1', 'gpt-5', 'o3', 'o4-mini']) {
      expect(table.models.get(model)?.encoding).toBe('o200k_base');
    }
    for (const price of canonicalModels(table).filter((p) => p.provider === 'anthropic')) {
      expect(price.encoding).toBe('o200k_base');
      expect(price.estimateFactor).toBe(1.4);
      expect(price.cacheWrite > price.input).toBe(true);
    }
  });

  it('prices embeddings as input-only with no output and no capabilities', () => {
    for (const model of ['text-embedding-3-small', 'text-embedding-3-large']) {
      const price = table.models.get(model);
      expect(price?.output).toBe(0n);
      expect(price?.maxOutputTokens).toBe(0);
      expect(price?.capabilities).toEqual({ tools: false, jsonSchema: false, vision: false });
    }
  });

  it('spot-checks list prices exactly', () => {
    // gpt-4o-mini: 1M input + 1M output = $0.15 + $0.60
    expect(
      costMicros(table.models.get('gpt-4o-mini')!, {
        inputTokens: 1_000_000,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens: 1_000_000,
        reasoningTokens: 0,
      }),
    ).toBe(750_000);
    // claude-sonnet-4-5 above 200K input in the 1M-context beta: $6/1M in, $22.50/1M out
    expect(worstCaseMicros(first.models.get('claude-sonnet-4-5')!, 1_000_000, 0)).toBe(7_500_000);
    // that beta is retired: the current table caps the model at 200K and has no tier
    expect(table.models.get('claude-sonnet-4-5')?.contextWindow).toBe(200_000);
    // claude-haiku-5-5 above 100K input: $0.50/1M in (cache writes $0.625), $2.50/1M out
    expect(worstCaseMicros(table.models.get('claude-haiku-5-5')!, 200_000, 1000)).toBe(125_000 + 2_500);
  });

  it.each([
    ['2026-11-01', () => first],
    ['latest', () => table],
  ])('follows downgrade chains only to cheaper-or-equal models (%s)', (_version, pick) => {
    const table = pick();
    const withChains = canonicalModels(table).filter((p) => p.downgradeTo.length > 0);
    expect(withChains.map((p) => p.model)).toEqual(
      expect.arrayContaining(['gpt-5', 'gpt-4.1', 'gpt-4o', 'o3', 'claude-opus-4-1']),
    );
    for (const price of withChains) {
      for (const name of price.downgradeTo) {
        const target = table.models.get(name);
        expect(target?.model, `${price.model} -> ${name}`).toBe(name);
        expect(target!.output <= price.output, `${price.model} -> ${name}`).toBe(true);
        expect(target!.input <= price.input, `${price.model} -> ${name}`).toBe(true);
      }
    }
    expect(table.models.get('gpt-5')?.downgradeTo).toEqual(['gpt-5-mini', 'gpt-5-nano']);
    expect(table.models.get('gpt-4.1')?.downgradeTo).toEqual(['gpt-4.1-mini', 'gpt-4.1-nano']);
    expect(table.models.get('gpt-4o')?.downgradeTo).toEqual(['gpt-4o-mini']);
    expect(table.models.get('o3')?.downgradeTo).toEqual(['o4-mini']);
    const claude =
      table === first ? ['claude-sonnet-4-5', 'claude-haiku-4-5'] : ['claude-sonnet-5-5', 'claude-haiku-5-5'];
    expect(table.models.get('claude-opus-4-1')?.downgradeTo).toContain(claude[0]);
    expect(table.models.get('claude-sonnet-4-5')?.downgradeTo).toEqual([claude[1]]);
  });

  it('gives every model of every table its capabilities and limits, written out (not defaulted)', () => {
    for (const file of readdirSync(PRICES_DIR).filter((name) => name.endsWith('.json'))) {
      const raw = JSON.parse(readFileSync(join(PRICES_DIR, file), 'utf8')) as {
        models: Record<string, Record<string, unknown>>;
      };
      for (const [model, entry] of Object.entries(raw.models)) {
        const where = `${file} ${model}`;
        expect(Object.keys(entry['capabilities'] as object).sort(), where).toEqual(['json_schema', 'tools', 'vision']);
        expect(entry['context_window'], where).toBeGreaterThan(0);
        expect(Array.isArray(entry['downgrade_to']), where).toBe(true);
        const embedding = entry['output'] === '0';
        if (embedding) expect(entry['max_output_tokens'], where).toBe(0);
        else expect(entry['max_output_tokens'], where).toBeGreaterThan(0);
      }
    }
  });

  it('prices 1-hour cache writes of every Claude model at 2x input, as its catalog does', () => {
    for (const price of canonicalModels(table).filter((p) => p.provider === 'anthropic')) {
      expect(price.cacheWrite1h, price.model).toBe(2n * price.input);
      expect(price.cacheWrite1h > price.cacheWrite, price.model).toBe(true);
    }
  });
});
