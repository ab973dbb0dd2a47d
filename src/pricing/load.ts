// Loads price tables from a file or a folder of *.json files (docs/design.md §9) into a PriceCatalog.
// Owns the file I/O of pricing and nothing else: parsing and validation live in parse-*.ts.
// Called at start-up only; nothing is read at import time.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PriceTableError } from './price-table-error.js';
import { parsePriceTable } from './parse-table.js';
import type { PriceTable } from './types.js';

export { PriceTableError } from './price-table-error.js';
export { parsePriceEntry } from './parse-entry.js';
export { parsePriceTable } from './parse-table.js';
export { parsePriceOverrides } from './parse-overrides.js';

export interface PriceCatalog {
  /** The table with the greatest version: the default for tenants that do not pin one. */
  readonly latest: PriceTable;
  readonly byVersion: ReadonlyMap<string, PriceTable>;
}

/** Reads and validates one table file. */
export function loadPriceTable(file: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PriceTableError(file, null, null, `cannot read the file (${errorText(error)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PriceTableError(file, null, null, `malformed JSON (${errorText(error)})`);
  }
  return parsePriceTable(raw, file);
}

/**
 * `path` is a table file, or a folder whose `*.json` files (not recursive) are each one
 * table version. Two files with the same version, or an empty folder, are errors.
 */
export function loadPriceCatalog(path: string): PriceCatalog {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (error) {
    throw new PriceTableError(path, null, null, `cannot read prices (${errorText(error)})`);
  }
  const files = isFolder
    ? readdirSync(path)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => join(path, name))
    : [path];
  if (files.length === 0) throw new PriceTableError(path, null, null, 'the folder contains no *.json price tables');

  const byVersion = new Map<string, PriceTable>();
  for (const file of files) {
    const table = loadPriceTable(file);
    const earlier = byVersion.get(table.version);
    if (earlier !== undefined) {
      throw new PriceTableError(file, null, 'version', `version "${table.version}" is also used by ${earlier.source}`);
    }
    byVersion.set(table.version, table);
  }
  return catalogOf([...byVersion.values()]);
}

/** Builds a catalog from already-parsed tables (for tests and embedders); newest = greatest version. */
export function catalogOf(tables: readonly PriceTable[]): PriceCatalog {
  const sorted = [...tables].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const latest = sorted[sorted.length - 1];
  if (latest === undefined) throw new PriceTableError('(catalog)', null, null, 'no price tables');
  return Object.freeze({ latest, byVersion: new Map(sorted.map((t) => [t.version, t])) });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
