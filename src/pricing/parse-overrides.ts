// Parses a tenant's `price_overrides` (config: model -> docs/design.md §9 entry) into a lookup map keyed by
// every name and alias, ready for lookupModel. Pure; targets of downgrade_to are not checked here
// because they may name models of the shared table (policy resolves them through lookupModel).
import { PriceTableError, describeValue } from './price-table-error.js';
import { parsePriceEntry } from './parse-entry.js';
import { indexByNameAndAlias } from './parse-table.js';
import type { ModelPrice } from './types.js';

/** `where` is the config path for errors, e.g. "tenants.acme.price_overrides". */
export function parsePriceOverrides(raw: unknown, where: string): ReadonlyMap<string, ModelPrice> {
  if (raw === undefined || raw === null) return new Map();
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PriceTableError(
      where,
      null,
      null,
      `must be an object of model name -> price entry, got ${describeValue(raw)}`,
    );
  }
  const entries = Object.entries(raw as Record<string, unknown>).map(([model, entry]) =>
    parsePriceEntry(model, entry, where),
  );
  return indexByNameAndAlias(entries, where);
}
