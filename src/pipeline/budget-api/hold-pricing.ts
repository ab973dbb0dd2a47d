// Prices budget API holds and commits (docs/design.md §4, §9) with the tenant's price table:
// a model-priced worst case for given tokens, a caller's usage at the reservation's model,
// and the 402 for a hold the caller priced itself. Pure apart from the catalog lookup.
import type { TenantPolicy } from '../../config/types.js';
import { RuncapError, invalidRequest } from '../../errors.js';
import type { ScopeView } from '../../ledger/index.js';
import { formatUsd, type Micros } from '../../money/micros.js';
import { costMicros, worstCaseMicros } from '../../pricing/cost.js';
import { lookupModel } from '../../pricing/lookup.js';
import type { ModelPrice, PriceTable, Usage } from '../../pricing/types.js';
import { blockError, scopeName } from '../block.js';
import type { PipelineDeps } from '../deps.js';
import type { CallPlan } from '../plan.js';

/** The tenant's table: a given version (a reservation's), else its pinned one, else the newest. */
export function tableFor(deps: PipelineDeps, tenant: TenantPolicy, version: string | null): PriceTable {
  const wanted = version ?? tenant.priceTableVersion;
  return (wanted ? deps.catalog.byVersion.get(wanted) : undefined) ?? deps.catalog.latest;
}

/**
 * The worst case of `inputTokens` in and up to `maxOutputTokens` out on one model: the
 * output cap is bounded by the model's maximum and by what the context window leaves.
 * Null when the input alone does not fit the context window.
 */
export function planOf(price: ModelPrice, inputTokens: number, maxOutputTokens: number): CallPlan | null {
  if (inputTokens > price.contextWindow) return null;
  const effective = Math.min(maxOutputTokens, price.maxOutputTokens, price.contextWindow - inputTokens);
  return {
    price,
    inputTokens,
    chainTokens: null,
    conversation: null,
    providerInput: null,
    extraOutputTokens: 0,
    hostedTools: null,
    worstCase: {},
    clientRequestedMaxOutputTokens: maxOutputTokens,
    maxOutputTokens: effective,
    policyMaxOutputTokens: effective,
    outputMultiplier: 1,
    amountMicros: worstCaseMicros(price, inputTokens, effective),
    outputClamped: false,
  };
}

/** What a caller's reported usage costs at the reservation's model and price table version. */
export function usageCost(
  deps: PipelineDeps,
  tenant: TenantPolicy,
  model: string,
  priceTableVersion: string,
  usage: Usage,
): Micros {
  const table = tableFor(deps, tenant, priceTableVersion);
  const found = lookupModel(table, model, tenant.priceOverrides);
  if (!found.found) {
    throw new RuncapError(
      'price_unknown',
      `runcap has no price for model "${model}" in price table ${table.version} any more; commit amount_usd instead.`,
      { param: 'usage' },
    );
  }
  if (usage.cachedInputTokens + usage.cacheWriteTokens + usage.cacheWrite1hTokens > usage.inputTokens) {
    throw invalidRequest(
      'usage.cached_input_tokens (plus cache_write_tokens and cache_write_1h_tokens) cannot exceed usage.input_tokens.',
      'usage.cached_input_tokens',
    );
  }
  if (usage.reasoningTokens > usage.outputTokens) {
    throw invalidRequest(
      'usage.reasoning_tokens are part of usage.output_tokens and cannot exceed them.',
      'usage.reasoning_tokens',
    );
  }
  return costMicros(found.price, usage);
}

/** The 402 of a hold the caller priced itself: the proxy's block, worded for an amount. */
export function amountBlockError(
  tenant: TenantPolicy,
  blocking: ScopeView,
  amountMicros: Micros,
  runId: string,
  priceTableVersion: string,
): RuncapError {
  const limit = blocking.limitMicros ?? 0;
  const remaining = Math.max(0, blocking.availableMicros ?? 0);
  const message =
    blocking.mode === 'actuals_only'
      ? `The ${scopeName(blocking, runId)} budget of $${formatUsd(limit)} is spent ($${formatUsd(blocking.committedMicros)} committed).`
      : `The ${scopeName(blocking, runId)} budget is exhausted: this reservation of $${formatUsd(amountMicros)} does not fit; only $${formatUsd(remaining)} of $${formatUsd(limit)} remains.`;
  // The proxy's block, for its code, status and members; the token fields do not apply.
  const proxy = blockError({
    tenant,
    blocking,
    plan: amountPlan(amountMicros),
    runId,
    priceTableVersion,
    alternatives: [],
  });
  const budget = {
    ...(proxy.extra.members?.['budget'] as Record<string, unknown>),
    effective_max_output_tokens: null,
    client_requested_max_output_tokens: null,
  };
  return new RuncapError(proxy.code, message, { ...proxy.extra, members: { ...proxy.extra.members, budget } });
}

/** A stand-in plan carrying only the amount, for blockError's budget member. */
function amountPlan(amountMicros: Micros): CallPlan {
  const zero = 0n;
  const price: ModelPrice = {
    model: '(amount)',
    provider: 'caller',
    aliases: [],
    encoding: 'o200k_base',
    estimateFactor: 1,
    input: zero,
    cachedInput: zero,
    cacheWrite: zero,
    cacheWrite1h: zero,
    output: zero,
    reasoning: zero,
    contextWindow: 0,
    maxOutputTokens: 0,
    capabilities: { tools: false, jsonSchema: false, vision: false },
    downgradeTo: [],
    longContext: null,
  };
  return {
    price,
    inputTokens: 0,
    chainTokens: null,
    conversation: null,
    providerInput: null,
    extraOutputTokens: 0,
    hostedTools: null,
    worstCase: {},
    clientRequestedMaxOutputTokens: null,
    maxOutputTokens: 0,
    policyMaxOutputTokens: 0,
    outputMultiplier: 1,
    amountMicros,
    outputClamped: false,
  };
}
