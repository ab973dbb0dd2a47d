// Converts LiteLLM's model_prices_and_context_window.json into a docs/design.md §9 price table. Pure (no
// I/O; the CLI in cli/prices-import.ts reads and writes files). Per-token JSON numbers become
// per-1M decimal strings by exact string arithmetic on their shortest representation, never
// by float multiplication; an entry that would need more than 9 decimals is skipped, not rounded.
import { parsePriceEntry, isValidModelName } from './parse-entry.js';
import { decimalText } from './decimal-text.js';
import { isValidVersion } from './parse-table.js';
import type { CapabilitiesJson, LongContextJson, PriceEntryJson, PriceTableJson } from './table-json.js';

export interface SkippedModel {
  readonly model: string;
  /** Why; worded without the model name so the CLI can group identical reasons. */
  readonly reason: string;
}

export interface LitellmImportOptions {
  readonly version: string;
  /** `litellm_provider` values to keep (e.g. ["openai", "anthropic"]); all when absent. */
  readonly providers?: readonly string[];
}

export interface LitellmImport {
  readonly table: PriceTableJson;
  readonly skipped: SkippedModel[];
}

const PRICED_MODES = new Set(['chat', 'completion', 'embedding', 'responses']);
/** Providers whose models use OpenAI's public tokenizers; others get o200k x ESTIMATE_FACTOR. */
const OPENAI_TOKENIZER_PROVIDERS = new Set(['openai', 'text-completion-openai', 'azure', 'azure_text']);
const CL100K_MODEL = /^(?:ft:)?(?:gpt-4(?:$|-(?!o))|gpt-35|gpt-3\.5|text-embedding|davinci|babbage)/;
const ESTIMATE_FACTOR = '1.4';
const MAX_DECIMALS = 9;
const TIER_KEY =
  /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$/;
const DATED_SNAPSHOT = /^(.+)-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;

/** Thrown for one entry; becomes a SkippedModel. */
class Skip extends Error {}

/**
 * USD per token (a JSON number, possibly printed in exponent notation) -> USD per 1M tokens
 * as a decimal string: 1.5e-7 -> "0.15", 2.5e-6 -> "2.5", 1e-8 -> "0.01". Exact: the decimal
 * point of String(value) is shifted by 6 places as text (decimal-text.ts).
 */
export function perTokenToPerMillion(value: number): string {
  return decimalText(value, 6);
}

export function importLitellm(raw: unknown, options: LitellmImportOptions): LitellmImport {
  if (!isValidVersion(options.version))
    throw new RangeError(`version must be a date like "2026-11-01", got "${options.version}"`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError('the LiteLLM file must be a JSON object of model name -> entry');
  }
  const converted = new Map<string, PriceEntryJson>();
  const skipped: SkippedModel[] = [];
  for (const [model, value] of Object.entries(raw as Record<string, unknown>)) {
    if (model === 'sample_spec') continue;
    try {
      const entry = convertEntry(model, value, options.providers);
      parsePriceEntry(model, entry, 'import'); // the same validation the loader applies
      converted.set(model, entry);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      skipped.push({
        model,
        reason: error instanceof Skip ? error.message : `invalid after conversion: ${error.message}`,
      });
    }
  }
  const models: Record<string, PriceEntryJson> = {};
  for (const [model, entry] of foldSnapshots(converted)) models[model] = entry;
  return {
    table: {
      version: options.version,
      currency: 'USD',
      notes:
        'Imported from LiteLLM model_prices_and_context_window.json by `runcap prices import`. ' +
        'downgrade_to chains are not part of that data and are left empty; add them by hand.',
      models,
    },
    skipped,
  };
}

function convertEntry(model: string, value: unknown, providers: readonly string[] | undefined): PriceEntryJson {
  if (!isValidModelName(model)) throw new Skip('model name contains whitespace or is too long');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Skip('entry is not an object');
  const e = value as Record<string, unknown>;
  const provider = e['litellm_provider'];
  if (typeof provider !== 'string' || provider === '') throw new Skip('no litellm_provider');
  if (providers !== undefined && !providers.includes(provider)) throw new Skip(`provider "${provider}" not selected`);
  const mode = e['mode'];
  if (typeof mode !== 'string' || !PRICED_MODES.has(mode)) {
    throw new Skip(`mode ${typeof mode === 'string' ? `"${mode}"` : '(none)'} is not a per-token text mode`);
  }
  if (positive(e['input_cost_per_audio_token']) || positive(e['output_cost_per_audio_token'])) {
    throw new Skip('audio-token pricing is not supported');
  }
  const embedding = mode === 'embedding';
  const input = price(e, 'input_cost_per_token', true);
  const output = price(e, 'output_cost_per_token', !embedding) ?? '0';
  if (input === undefined) throw new Skip('no input_cost_per_token');
  if (input === '0' && output === '0') throw new Skip('all prices are 0 (LiteLLM uses 0 for free or unknown)');

  const contextWindow = tokens(e['max_input_tokens']) ?? tokens(e['max_tokens']);
  if (contextWindow === undefined) throw new Skip('no max_input_tokens or max_tokens');
  const maxOutput = embedding ? 0 : (tokens(e['max_output_tokens']) ?? tokens(e['max_tokens']));
  if (maxOutput === undefined) throw new Skip('no max_output_tokens or max_tokens');

  const openaiTokenizer = OPENAI_TOKENIZER_PROVIDERS.has(provider);
  const baseName = model.slice(model.lastIndexOf('/') + 1);
  const capabilities: CapabilitiesJson = embedding
    ? { tools: false, json_schema: false, vision: false }
    : {
        tools: e['supports_function_calling'] === true,
        json_schema: e['supports_response_schema'] === true,
        vision: e['supports_vision'] === true,
      };
  const longContext = tier(e, contextWindow);
  return withoutUndefined({
    provider,
    aliases: [],
    encoding: openaiTokenizer && CL100K_MODEL.test(baseName) ? 'cl100k_base' : 'o200k_base',
    estimate_factor: openaiTokenizer ? undefined : ESTIMATE_FACTOR,
    input,
    cached_input: price(e, 'cache_read_input_token_cost', false),
    cache_write: price(e, 'cache_creation_input_token_cost', false),
    output,
    reasoning: price(e, 'output_cost_per_reasoning_token', false),
    // LiteLLM's max_input_tokens is the documented context window for most providers; where it
    // is the input share only (gpt-5: 272K of 400K) using it is conservative, never too large.
    context_window: contextWindow,
    max_output_tokens: Math.min(maxOutput, contextWindow),
    capabilities,
    downgrade_to: [],
    long_context: longContext,
  });
}

/** One long-context tier from the *_above_<N>k_tokens keys; several tiers cannot be expressed. */
function tier(e: Record<string, unknown>, contextWindow: number): LongContextJson | undefined {
  const thresholds = new Set<string>();
  for (const key of Object.keys(e)) {
    const match = TIER_KEY.exec(key);
    if (match?.[2] !== undefined && e[key] !== null && e[key] !== undefined) thresholds.add(match[2]);
  }
  if (thresholds.size > 1) throw new Skip('more than one long-context price tier');
  const [k] = thresholds;
  if (k === undefined) return undefined;
  const above = Number(k) * 1000;
  if (above >= contextWindow) return undefined; // the tier can never apply
  const at = (key: string): string | undefined => price(e, `${key}_above_${k}k_tokens`, false);
  return withoutUndefined({
    above_input_tokens: above,
    input: at('input_cost_per_token') ?? price(e, 'input_cost_per_token', true) ?? '0',
    cached_input: at('cache_read_input_token_cost'),
    cache_write: at('cache_creation_input_token_cost'),
    output: at('output_cost_per_token') ?? price(e, 'output_cost_per_token', false) ?? '0',
  });
}

function price(e: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = e[key];
  if (value === undefined || value === null) {
    if (required) throw new Skip(`no ${key}`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new Skip(`${key} is not a non-negative number`);
  const perMillion = perTokenToPerMillion(value);
  const dot = perMillion.indexOf('.');
  if (dot >= 0 && perMillion.length - dot - 1 > MAX_DECIMALS) {
    throw new Skip(`${key} needs more than ${MAX_DECIMALS} decimals per 1M tokens (float noise in the source?)`);
  }
  return perMillion;
}

function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function positive(value: unknown): boolean {
  return typeof value === 'number' && value > 0;
}

/**
 * Folds dated snapshots ("gpt-4o-mini-2024-07-18", "claude-haiku-4-5-20251001", "gpt-4-0613")
 * into the undated entry's aliases when everything but the name is identical. Output is sorted.
 */
function foldSnapshots(converted: ReadonlyMap<string, PriceEntryJson>): [string, PriceEntryJson][] {
  const baseOf = new Map<string, string>();
  for (const [model, entry] of converted) {
    const base = DATED_SNAPSHOT.exec(model)?.[1];
    const target = base === undefined ? undefined : converted.get(base);
    if (base !== undefined && target !== undefined && JSON.stringify(target) === JSON.stringify(entry)) {
      baseOf.set(model, base);
    }
  }
  // Never fold into an entry that is itself a snapshot candidate (keeps the result order-independent).
  const folds = [...baseOf].filter(([, base]) => !baseOf.has(base));
  const aliases = new Map<string, string[]>();
  for (const [model, base] of folds) aliases.set(base, [...(aliases.get(base) ?? []), model]);
  const folded = new Set(folds.map(([model]) => model));
  return [...converted]
    .filter(([model]) => !folded.has(model))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, entry]) => [model, { ...entry, aliases: (aliases.get(model) ?? []).sort() }]);
}

/** Drops undefined members so the written JSON has no nulls and optional fields stay absent. */
function withoutUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
