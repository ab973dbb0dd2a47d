// Resolves a requested model name to its price: tenant overrides first, then the table.
// Fails closed: an unknown name is {found:false}, never a zero or guessed price.
import type { ModelPrice, PriceLookup, PriceTable } from './types.js';

/**
 * Exact names and listed aliases only. Deliberately NO prefix matching ("gpt-4o-2099-01-01"
 * does not fall back to "gpt-4o"), no case folding and no stripping of provider prefixes
 * ("openai/gpt-4o" is a different name): a guessed price can be wrong in either direction,
 * so an unlisted name is refused and the operator adds it (table or price_overrides).
 *
 * `overrides` is keyed by every name and alias (as parsePriceOverrides builds it). An override
 * wins for its own names, and also when the request names a table alias of an overridden model
 * (override "gpt-4o" applies to a request for "gpt-4o-2024-08-06").
 */
export function lookupModel(
  table: PriceTable,
  model: string,
  overrides?: ReadonlyMap<string, ModelPrice>,
): PriceLookup {
  const direct = overrides?.get(model);
  if (direct !== undefined) return { found: true, price: direct };
  const entry = table.models.get(model);
  if (entry === undefined) return { found: false, model };
  const overridden = overrides?.get(entry.model);
  return { found: true, price: overridden ?? entry };
}

/** Each canonical entry once, in table order (aliases skipped). */
export function canonicalModels(table: PriceTable): ModelPrice[] {
  const seen = new Set<string>();
  const out: ModelPrice[] = [];
  for (const entry of table.models.values()) {
    if (seen.has(entry.model)) continue;
    seen.add(entry.model);
    out.push(entry);
  }
  return out;
}
