// Settles one forwarded call exactly once (docs/design.md §3.3, §11): commit the provider's
// usage, or an estimate of a cut stream (never below the input cost), or the full hold
// when the result is unknown, or release on an upstream error. Never throws: a failed
// settlement leaves the hold to expire, and the sweeper charges it.
import { countOutputTokens } from '../estimate/output-text.js';
import type { UsageSource } from '../ledger/index.js';
import { formatUsd, type Micros } from '../money/micros.js';
import { costMicros } from '../pricing/cost.js';
import { priceForServedTier } from '../pricing/service-tier.js';
import type { Usage } from '../pricing/types.js';
import type { PipelineDeps } from './deps.js';
import { ledgerCall } from './ledger-call.js';
import type { CallPlan } from './plan.js';

export type SettleOutcome =
  | { readonly kind: 'usage'; readonly usage: Usage; readonly responseId?: string | null }
  | { readonly kind: 'estimated'; readonly outputText: string; readonly reason: string }
  | { readonly kind: 'full_hold'; readonly reason: string }
  | { readonly kind: 'release'; readonly reason: string };

export interface SettleTarget {
  readonly reservationId: string;
  readonly decisionId: string;
  readonly tenant: string;
  readonly endpoint: string;
  readonly plan: CallPlan;
  /** The amount actually held (a reused reservation's, which may differ from the plan's). */
  readonly holdMicros: Micros;
}

export function createSettler(deps: PipelineDeps, target: SettleTarget): (outcome: SettleOutcome) => Promise<void> {
  let settled = false;
  deps.metrics.liveReservations.inc();
  return async (outcome) => {
    if (settled) return;
    settled = true;
    deps.metrics.liveReservations.dec();
    try {
      await settle(deps, target, outcome);
    } catch (error) {
      deps.logger.error(
        { decision_id: target.decisionId, reservation_id: target.reservationId, outcome: outcome.kind, err: error },
        'settlement failed; the hold stays until it expires and is charged by the sweeper',
      );
    }
  };
}

async function settle(deps: PipelineDeps, target: SettleTarget, outcome: SettleOutcome): Promise<void> {
  const { ledger } = deps.store;
  if (outcome.kind === 'release') {
    const result = await ledgerCall(deps, 'release', () => ledger.release(target.reservationId));
    if (result.changed) deps.metrics.releasedUsd.inc(target.holdMicros / 1e6);
    await patchRecord(deps, target, {
      state: 'released',
      actual_usd: '0.00',
      release_reason: outcome.reason,
      settled_at: now(deps),
    });
    return;
  }

  const { actualMicros, source, usage } = actualCost(deps, target, outcome);
  const tokens = usage
    ? {
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cachedInputTokens: usage.cachedInputTokens,
        reasoningTokens: usage.reasoningTokens,
      }
    : null;
  const result = await ledgerCall(deps, 'commit', () =>
    ledger.commit(target.reservationId, { actualMicros, usageSource: source, tokens }),
  );
  const overrunMicros = result.reservation.overrunMicros;
  // A late commit on an expired hold reconciles it; the expiry already counted its charge.
  if (result.changed && result.reservation.state !== 'reconciled') {
    deps.metrics.committedUsd.inc({ usage_source: source }, actualMicros / 1e6);
    if (overrunMicros > 0) {
      deps.metrics.overruns.inc();
      deps.metrics.overrunUsd.inc(overrunMicros / 1e6);
      deps.logger.warn(
        { decision_id: target.decisionId, overrun_usd: formatUsd(overrunMicros) },
        'commit exceeded its hold (overrun recorded in full)',
      );
    }
    if (actualMicros > 0)
      deps.metrics.estimateRatio.observe({ endpoint: target.endpoint }, target.holdMicros / actualMicros);
  }
  await patchRecord(deps, target, {
    state: 'settled',
    actual_usd: formatUsd(actualMicros),
    usage_source: source,
    overrun_usd: formatUsd(overrunMicros),
    usage: usage ? renderUsage(usage) : null,
    ...(outcome.kind === 'usage' ? {} : { estimate_reason: outcome.reason }),
    settled_at: now(deps),
  });
  if (outcome.kind === 'usage' && outcome.responseId) {
    const responseId = outcome.responseId;
    const tokens = { inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens };
    // Bookkeeping for the next turn's estimate: a failure here must not undo the settlement.
    await ledgerCall(deps, 'chain_remember', () => deps.store.chains.remember(target.tenant, responseId, tokens)).catch(
      (error: unknown) =>
        deps.logger.warn(
          { decision_id: target.decisionId, err: error },
          'could not record the response chain; its next turn is estimated conservatively',
        ),
    );
  }
}

/** The money is settled by now; a record that cannot be updated is logged, not retried. */
async function patchRecord(deps: PipelineDeps, target: SettleTarget, patch: Record<string, unknown>): Promise<void> {
  await deps.store.decisions
    .patch(target.decisionId, patch)
    .catch((error: unknown) =>
      deps.logger.error(
        { decision_id: target.decisionId, err: error },
        'settled, but the decision record could not be updated',
      ),
    );
}

function actualCost(
  deps: PipelineDeps,
  target: SettleTarget,
  outcome: Exclude<SettleOutcome, { kind: 'release' }>,
): { actualMicros: Micros; source: UsageSource; usage: Usage | null } {
  const { price, inputTokens } = target.plan;
  switch (outcome.kind) {
    case 'usage': {
      // Charged at the tier the provider says it served, not the one that was held.
      const served = priceForServedTier(price, outcome.usage.serviceTier);
      if (!served.known) {
        deps.logger.warn(
          { decision_id: target.decisionId, model: price.model, service_tier: outcome.usage.serviceTier },
          'the provider served a service tier the price table does not price; charged at the dearest priced tier',
        );
      }
      return { actualMicros: costMicros(served.price, outcome.usage), source: 'provider', usage: outcome.usage };
    }
    case 'estimated': {
      const outputTokens = countOutputTokens(outcome.outputText, price, deps.tokenizer);
      const usage: Usage = {
        inputTokens,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens,
        reasoningTokens: 0,
      };
      return { actualMicros: costMicros(price, usage), source: 'estimated', usage };
    }
    case 'full_hold':
      return { actualMicros: target.holdMicros, source: 'estimated', usage: null };
  }
}

function renderUsage(usage: Usage): Record<string, number | string> {
  return {
    ...(usage.serviceTier ? { service_tier: usage.serviceTier } : {}),
    input_tokens: usage.inputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    cache_write_1h_tokens: usage.cacheWrite1hTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
  };
}

function now(deps: PipelineDeps): string {
  return new Date(deps.clock()).toISOString();
}
