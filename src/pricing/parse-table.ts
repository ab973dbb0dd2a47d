// Parses and validates one whole price table (docs/design.md §9): version, currency, entries, and the
// cross-entry rules (aliases unique across the table, downgrade_to targets exist, no cycles).
// Pure: the caller supplies the already-parsed JSON and a source label; no file access here.
import { PriceTableError, describeValue } from './price-table-error.js';
import { parsePriceEntry } from './parse-entry.js';
import type { ModelPrice, PriceTable } from './types.js';

const TABLE_FIELDS = ['version', 'currency', 'notes', 'source', 'models'] as const;
/** Versions are dates, optionally with a suffix ("2026-11-01", "2026-11-01.2"); newest = greatest string. */
const VERSION_SHAPE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[._-][A-Za-z0-9._-]{1,32})?$/;

export function isValidVersion(version: string): boolean {
  return VERSION_SHAPE.test(version);
}

/** Builds a PriceTable from parsed JSON. `source` is the file name used in errors and kept on the table. */
export function parsePriceTable(raw: unknown, source: string): PriceTable {
  const fail = (model: string | null, field: string | null, reason: string): never => {
    throw new PriceTableError(source, model, field, reason);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(null, null, `a price table must be a JSON object, got ${describeValue(raw)}`);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(TABLE_FIELDS as readonly string[]).includes(key)) fail(null, key, 'unknown field');
  }
  const version = obj['version'];
  if (typeof version !== 'string' || !isValidVersion(version)) {
    fail(null, 'version', `must be a date string like "2026-11-01", got ${describeValue(version)}`);
  }
  if (obj['currency'] !== 'USD') fail(null, 'currency', `must be "USD", got ${describeValue(obj['currency'])}`);
  if (obj['notes'] !== undefined && typeof obj['notes'] !== 'string') {
    fail(null, 'notes', `must be a string, got ${describeValue(obj['notes'])}`);
  }
  // `source` names the catalogs a generated table came from (docs/pricing.md); documentation only.
  const catalogs = (obj['source'] as { catalogs?: unknown } | undefined)?.catalogs;
  if (obj['source'] !== undefined && (typeof obj['source'] !== 'object' || !Array.isArray(catalogs))) {
    fail(null, 'source', `must be an object with a "catalogs" list, got ${describeValue(obj['source'])}`);
  }
  const models = obj['models'];
  if (typeof models !== 'object' || models === null || Array.isArray(models)) {
    return fail(null, 'models', `must be an object of model name -> entry, got ${describeValue(models)}`);
  }
  const entries = Object.entries(models as Record<string, unknown>).map(([name, entry]) =>
    parsePriceEntry(name, entry, source),
  );
  if (entries.length === 0) fail(null, 'models', 'the table has no models');

  const byName = indexByNameAndAlias(entries, source);
  const canonical = new Map<string, ModelPrice>();
  for (const entry of entries) canonical.set(entry.model, resolveDowngrades(entry, byName, source));
  const index = new Map<string, ModelPrice>();
  for (const [name, entry] of byName) index.set(name, canonical.get(entry.model) ?? entry);
  rejectDowngradeCycles(canonical, source);
  return Object.freeze({ version: version as string, source, models: index });
}

/**
 * Maps every canonical name and alias to its entry; an alias that collides with another
 * model's name or alias is an error naming both. Also used for tenant price overrides.
 */
export function indexByNameAndAlias(entries: readonly ModelPrice[], where: string): Map<string, ModelPrice> {
  const index = new Map<string, ModelPrice>();
  for (const entry of entries) index.set(entry.model, entry);
  for (const entry of entries) {
    for (const alias of entry.aliases) {
      const other = index.get(alias);
      if (other !== undefined) {
        const what = other.model === alias ? `model "${alias}"` : `an alias of model "${other.model}"`;
        throw new PriceTableError(where, entry.model, 'aliases', `alias "${alias}" collides with ${what}`);
      }
      index.set(alias, entry);
    }
  }
  return index;
}

/** Checks each downgrade target exists and rewrites aliases to canonical names. */
function resolveDowngrades(entry: ModelPrice, byName: ReadonlyMap<string, ModelPrice>, source: string): ModelPrice {
  if (entry.downgradeTo.length === 0) return entry;
  const targets: string[] = [];
  for (const name of entry.downgradeTo) {
    const target = byName.get(name);
    if (target === undefined) {
      throw new PriceTableError(source, entry.model, 'downgrade_to', `"${name}" is not a model in this table`);
    }
    if (target.model === entry.model) {
      throw new PriceTableError(source, entry.model, 'downgrade_to', `"${name}" is an alias of the model itself`);
    }
    if (targets.includes(target.model)) {
      throw new PriceTableError(source, entry.model, 'downgrade_to', `"${name}" names "${target.model}" twice`);
    }
    targets.push(target.model);
  }
  return Object.freeze({ ...entry, downgradeTo: Object.freeze(targets) });
}

/** A downgrade chain that leads back to where it started would let auto-downgrade loop. */
function rejectDowngradeCycles(canonical: ReadonlyMap<string, ModelPrice>, source: string): void {
  const done = new Set<string>();
  const visit = (model: string, path: readonly string[]): void => {
    if (path.includes(model)) {
      const cycle = [...path.slice(path.indexOf(model)), model].join(' -> ');
      throw new PriceTableError(source, model, 'downgrade_to', `downgrade chain loops: ${cycle}`);
    }
    if (done.has(model)) return;
    for (const next of canonical.get(model)?.downgradeTo ?? []) visit(next, [...path, model]);
    done.add(model);
  };
  for (const model of canonical.keys()) visit(model, []);
}
