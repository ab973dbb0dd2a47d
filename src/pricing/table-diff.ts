// What a new price table changes against an old one (`runcap prices diff`): models added,
// removed and repriced (every rate, tier by tier), and changed limits. Pure. A model is the
// same model when the new table knows its old name as a name or an alias.
import { formatRate, type RateNanoPerMTok } from '../money/micros.js';
import { canonicalModels } from './lookup.js';
import type { ModelPrice, PriceTable, ServiceTierRates } from './types.js';

export interface FieldChange {
  /** "input", "long_context.output", "service_tiers.priority.input", "context_window", ... */
  readonly field: string;
  /** Decimal USD per 1M (rates) or a token count; null when absent on that side. */
  readonly from: string | null;
  readonly to: string | null;
}

export interface ModelChange {
  readonly model: string;
  /** The new table's name when it differs (the old name is now an alias). */
  readonly renamedTo?: string;
  readonly changes: readonly FieldChange[];
}

export interface TableDiff {
  readonly from: string;
  readonly to: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Models whose rates changed (limits may have changed too). */
  readonly repriced: readonly ModelChange[];
  /** Models whose rates are the same but limits, capabilities or names changed. */
  readonly changed: readonly ModelChange[];
}

export function diffTables(before: PriceTable, after: PriceTable): TableDiff {
  const matched = new Set<string>();
  const removed: string[] = [];
  const repriced: ModelChange[] = [];
  const changed: ModelChange[] = [];
  for (const old of canonicalModels(before)) {
    const next = after.models.get(old.model);
    if (next === undefined) {
      removed.push(old.model);
      continue;
    }
    matched.add(next.model);
    const rates = rateChanges(old, next);
    const other = otherChanges(old, next);
    const renamed = next.model === old.model ? {} : { renamedTo: next.model };
    if (rates.length > 0) repriced.push({ model: old.model, ...renamed, changes: [...rates, ...other] });
    else if (other.length > 0 || next.model !== old.model)
      changed.push({ model: old.model, ...renamed, changes: other });
  }
  const added = canonicalModels(after)
    .map((entry) => entry.model)
    .filter((model) => !matched.has(model));
  return { from: before.version, to: after.version, added, removed, repriced, changed };
}

function rateChanges(a: ModelPrice, b: ModelPrice): FieldChange[] {
  const out = compareRates('', ratesOf(a), ratesOf(b));
  const tiers = new Set([...(a.serviceTiers?.keys() ?? []), ...(b.serviceTiers?.keys() ?? [])]);
  for (const tier of [...tiers].sort()) {
    const from = a.serviceTiers?.get(tier);
    const to = b.serviceTiers?.get(tier);
    if (from === undefined || to === undefined) {
      out.push({ field: `service_tiers.${tier}`, from: from ? 'priced' : null, to: to ? 'priced' : null });
    } else out.push(...compareRates(`service_tiers.${tier}.`, from, to));
  }
  return out;
}

function ratesOf(p: ModelPrice): ServiceTierRates {
  const { input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning, longContext } = p;
  return { input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning, longContext };
}

const RATE_FIELDS = [
  ['input', 'input'],
  ['cached_input', 'cachedInput'],
  ['cache_write', 'cacheWrite'],
  ['cache_write_1h', 'cacheWrite1h'],
  ['output', 'output'],
  ['reasoning', 'reasoning'],
] as const;

function compareRates(prefix: string, a: ServiceTierRates, b: ServiceTierRates): FieldChange[] {
  const out: FieldChange[] = [];
  for (const [name, key] of RATE_FIELDS) push(out, `${prefix}${name}`, a[key], b[key]);
  const la = a.longContext;
  const lb = b.longContext;
  if (la === null || lb === null) {
    if (la !== lb)
      out.push({
        field: `${prefix}long_context`,
        from: la ? `above ${la.aboveInputTokens}` : null,
        to: lb ? `above ${lb.aboveInputTokens}` : null,
      });
    return out;
  }
  if (la.aboveInputTokens !== lb.aboveInputTokens) {
    out.push({
      field: `${prefix}long_context.above_input_tokens`,
      from: String(la.aboveInputTokens),
      to: String(lb.aboveInputTokens),
    });
  }
  push(out, `${prefix}long_context.input`, la.input, lb.input);
  push(out, `${prefix}long_context.cached_input`, la.cachedInput, lb.cachedInput);
  push(out, `${prefix}long_context.cache_write`, la.cacheWrite, lb.cacheWrite);
  push(out, `${prefix}long_context.cache_write_1h`, la.cacheWrite1h, lb.cacheWrite1h);
  push(out, `${prefix}long_context.output`, la.output, lb.output);
  return out;
}

function push(out: FieldChange[], field: string, a: RateNanoPerMTok | undefined, b: RateNanoPerMTok | undefined): void {
  if (a === b) return;
  out.push({ field, from: a === undefined ? null : formatRate(a), to: b === undefined ? null : formatRate(b) });
}

function otherChanges(a: ModelPrice, b: ModelPrice): FieldChange[] {
  const out: FieldChange[] = [];
  const cmp = (field: string, x: string, y: string): void => {
    if (x !== y) out.push({ field, from: x, to: y });
  };
  cmp('context_window', String(a.contextWindow), String(b.contextWindow));
  cmp('max_output_tokens', String(a.maxOutputTokens), String(b.maxOutputTokens));
  cmp('capabilities', capabilities(a), capabilities(b));
  cmp('encoding', a.encoding, b.encoding);
  cmp('estimate_factor', String(a.estimateFactor), String(b.estimateFactor));
  return out;
}

function capabilities(p: ModelPrice): string {
  const { tools, jsonSchema, vision } = p.capabilities;
  return (
    [tools ? 'tools' : '', jsonSchema ? 'json_schema' : '', vision ? 'vision' : ''].filter(Boolean).join(',') || 'none'
  );
}

/** Plain-text report, one line per change, for operators deciding whether to pin. */
export function renderDiff(diff: TableDiff): string[] {
  const lines = [`price table ${diff.from} -> ${diff.to}`];
  const change = (c: FieldChange): string => `${c.field} ${c.from ?? '(none)'} -> ${c.to ?? '(none)'}`;
  const model = (m: ModelChange): string =>
    `  ${m.model}${m.renamedTo ? ` (now ${m.renamedTo})` : ''}: ${m.changes.map(change).join('; ')}`;
  lines.push(`added (${diff.added.length}): ${diff.added.join(', ') || '-'}`);
  lines.push(`removed (${diff.removed.length}): ${diff.removed.join(', ') || '-'}`);
  lines.push(`repriced (${diff.repriced.length}):`, ...diff.repriced.map(model));
  lines.push(`other changes (${diff.changed.length}):`, ...diff.changed.map(model));
  return lines;
}
