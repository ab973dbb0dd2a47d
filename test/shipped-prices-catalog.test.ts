// The shipped price table is what `runcap prices import --from genai-prices` generates from the
// catalogs it names (docs/design.md §9): regenerating it reproduces the file; every list price equals the
// catalog's (read exactly, and cross-checked with the catalog's own calculator); prices that no
// catalog has are the curation file's, each with a source; the Claude Code and Codex CLI
// defaults are priced. Uses the installed devDependencies; no network.
import { readFileSync } from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { GENAI_PRICES, MODELS_DEV, loadCatalogs } from '../src/cli/catalog-sources.js';
import { loadPriceTable } from '../src/pricing/load.js';
import type { PriceEntryJson, PriceTableJson } from '../src/pricing/table-json.js';
import { parseCuration, readGenaiModel, importCatalogs } from '../src/pricing/catalog/index.js';

const FILE = 'prices/2026-11-30.json';
const CURATION = 'prices/sources/curation.json';
const shipped = JSON.parse(readFileSync(FILE, 'utf8')) as PriceTableJson;
const curation = parseCuration(JSON.parse(readFileSync(CURATION, 'utf8')), CURATION);
const asOf = shipped.source?.prices_as_of ?? '';
const catalogs = await loadCatalogs(null);
const RATES = ['input', 'cached_input', 'cache_write', 'cache_write_1h', 'output'] as const;

/** The Claude Code 2.1.332 / Codex CLI 0.171.0 models sent out of the box (see docs/pricing.md). */
const CLIENT_DEFAULTS = ['claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-opus-5-5', 'claude-fable-5-2', 'gpt-6.2-sol'];

describe(`${FILE}`, () => {
  it('names the catalogs and versions it came from, which are the installed ones', () => {
    expect(shipped.source?.catalogs).toEqual([catalogs.genai.source, catalogs.modelsDev.source]);
    expect(shipped.source?.catalogs.map((c) => c.name)).toEqual([GENAI_PRICES, MODELS_DEV]);
    expect(asOf).toBe('2026-11-30');
  });

  it('is exactly what the import command generates from them', () => {
    const generated = importCatalogs({
      version: shipped.version,
      date: asOf,
      ...catalogs,
      curation,
      curationName: CURATION,
    });
    expect(generated.skipped).toEqual([]);
    expect(JSON.parse(JSON.stringify(generated.table))).toEqual(shipped);
    expect(loadPriceTable(FILE).version).toBe('2026-11-30');
  });

  it.each(Object.entries(shipped.models))('%s: every list price is the catalog one', (name, entry) => {
    const curated = curation.models[name];
    expect(curated).toBeDefined();
    if (curated === undefined) return;
    const catalogId = curated.catalog === null ? curated.prices_from : (curated.catalog ?? name);
    if (catalogId === undefined) {
      // not in any catalog: the curation file's prices, with their source
      expect(entry.source).toBe(curated.source);
      expect(pick(entry)).toEqual(pick(curated.prices as unknown as PriceEntryJson));
      return;
    }
    const model = readGenaiModel(catalogs.genai.providers, curated.provider, catalogId, asOf, 'catalog');
    expect(model).not.toBeNull();
    for (const field of RATES) expect(entry[field], field).toBe(model?.rates[field]);
    if (entry.long_context !== undefined) expect(entry.long_context).toEqual(model?.rates.long_context);
    // Cross-check with the catalog's own calculator, below any long-context threshold.
    const at = { providerId: curated.provider, timestamp: new Date(`${asOf}T12:00:00Z`) };
    const perMillion = (usage: Record<string, number>, side: 'input_price' | 'output_price'): number =>
      ((calcPrice(usage, catalogId, at)?.[side] ?? Number.NaN) * 1_000_000) / 1000;
    expect(perMillion({ input_tokens: 1000 }, 'input_price')).toBeCloseTo(Number(entry.input), 9);
    expect(perMillion({ output_tokens: 1000 }, 'output_price')).toBeCloseTo(Number(entry.output), 9);
    if (entry.cached_input !== undefined) {
      expect(perMillion({ input_tokens: 1000, cache_read_tokens: 1000 }, 'input_price')).toBeCloseTo(
        Number(entry.cached_input),
        9,
      );
    }
  });

  it('prices the models Claude Code and the Codex CLI send out of the box', () => {
    const table = loadPriceTable(FILE);
    for (const model of CLIENT_DEFAULTS) expect(table.models.get(model)?.input, model).toBeGreaterThan(0n);
    // the one priced provisionally says so
    expect(shipped.models['gpt-6.2-sol']?.source).toMatch(/^PROVISIONAL/);
  });

  it('marks every entry not priced by the catalog with its source', () => {
    const outside = Object.entries(shipped.models).filter(([, entry]) => entry.source !== undefined);
    expect(outside.map(([name]) => name).sort()).toEqual([
      'claude-fable-5-2',
      'claude-haiku-5-5',
      'claude-sonnet-5-5',
      'gpt-6.2-sol',
    ]);
  });
});

function pick(entry: PriceEntryJson): Record<string, unknown> {
  return Object.fromEntries(
    [...RATES, 'long_context'].filter((f) => f in entry).map((f) => [f, entry[f as keyof PriceEntryJson]]),
  );
}
