// Settles one forwarded call exactly once (docs/design.md §3.3, §11): commit the provider's
// usage plus the fees of the hosted tool calls it made, or an estimate of a cut stream (never
// below the input cost), or the full hold when the result is unknown, or release on an upstream
// error. Then the bookkeeping of Responses chains and conversations. Never throws: a failed
// settlement leaves the hold to expire, and the sweeper charges it.
import { countOutputTokens } from '../estimate/output-text.js';
import type { UsageSource } from '../ledger/index.js';
import { formatUsd, type Micros } from '../money/micros.js';
import { costMicros } from '../pricing/cost.js';
import { priceForServedTier } from '../pricing/service-tier.js';
import type { Usage } from '../pricing/types.js';
import type { HostedCallCounts } from '../proxy/adapter.js';
import type { PipelineDeps } from './deps.js';
import { recordSettlement } from './event-data.js';
import { hostedCallCount, hostedFeesMicros } from './hosted-tools-plan.js';
import { ledgerCall } from './ledger-call.js';
import type { CallPlan } from './plan.js';

export type SettleOutcome =
  | {
      readonly kind: 'usage';
      readonly usage: Usage;
      readonly responseId?: string | null;
      readonly hostedCalls?: HostedCallCounts;
    }
  | {
      readonly kind: 'estimated';
      readonly outputText: string;
      readonly reason: string;
      readonly hostedCalls?: HostedCallCounts;
      /** The input side the provider reported before the stream ended; absent: the input as held. */
      readonly inputUsage?: Usage | null;
    }
  | { readonly kind: 'full_hold'; readonly reason: string }
  | { readonly kind: 'release'; readonly reason: string };

export interface SettleTarget {
  readonly reservationId: string;
  readonly decisionId: string;
  readonly tenant: string;
  /** The principal's key and the run: who sees the settlement's event. */
  readonly keyId: string;
  readonly runId: string | null;
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
    patchRecord(deps, target, {
      state: 'released',
      actual_usd: '0.00',
      release_reason: outcome.reason,
      settled_at: now(deps),
    });
    return;
  }

  const { actualMicros, source, usage, feesMicros } = actualCost(deps, target, outcome);
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
  patchRecord(deps, target, {
    state: 'settled',
    actual_usd: formatUsd(actualMicros),
    usage_source: source,
    overrun_usd: formatUsd(overrunMicros),
    usage: usage ? renderUsage(usage) : null,
    ...(outcome.kind === 'usage' ? {} : { estimate_reason: outcome.reason }),
    ...(target.plan.hostedTools && outcome.kind !== 'full_hold'
      ? { hosted_tool_calls: outcome.hostedCalls ?? {}, hosted_tool_fees_usd: formatUsd(feesMicros) }
      : {}),
    settled_at: now(deps),
  });
  if (outcome.kind === 'usage') await remember(deps, target, outcome);
  else if (target.plan.conversation !== null) await forgetConversation(deps, target, target.plan.conversation.id);
}

/** A conversation turn that ended without usage added an unknown amount: its next turn is held at the window. */
async function forgetConversation(deps: PipelineDeps, target: SettleTarget, id: string): Promise<void> {
  await ledgerCall(deps, 'chain_remember', () => deps.store.chains.forgetConversation(target.tenant, id)).catch(
    (error: unknown) =>
      deps.logger.error(
        { decision_id: target.decisionId, err: error },
        'could not forget a conversation whose turn ended without usage; its next turn may be under-held',
      ),
  );
}

/** Bookkeeping for the next turn's estimate: a failure here must not undo the settlement. */
async function remember(
  deps: PipelineDeps,
  target: SettleTarget,
  outcome: Extract<SettleOutcome, { kind: 'usage' }>,
): Promise<void> {
  const conversation = target.plan.conversation;
  if (conversation !== null) {
    const growth = {
      billedTokens: outcome.usage.inputTokens + outcome.usage.outputTokens,
      seenTokens: conversation.knownTokens ?? 0,
    };
    await ledgerCall(deps, 'chain_remember', () =>
      deps.store.chains.growConversation(target.tenant, conversation.id, growth),
    ).catch((error: unknown) =>
      deps.logger.warn(
        { decision_id: target.decisionId, err: error },
        'could not record the conversation; its next turn is held at the context window',
      ),
    );
  }
  if (outcome.responseId) {
    const responseId = outcome.responseId;
    const tokens = { inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens };
    await ledgerCall(deps, 'chain_remember', () => deps.store.chains.remember(target.tenant, responseId, tokens)).catch(
      (error: unknown) =>
        deps.logger.warn(
          { decision_id: target.decisionId, err: error },
          'could not record the response chain; its next turn is estimated conservatively',
        ),
    );
  }
}

/**
 * The money is settled by now; a record that cannot be updated is logged, not retried. Written
 * behind (tracked, not awaited), so the settlement's own round trip is its commit or release
 * alone; a read that comes after the call answered still sees it, as the store has the patch
 * queued before this returns (SQLite: in its next group commit; Redis: sent ahead on the connection).
 */
function patchRecord(deps: PipelineDeps, target: SettleTarget, patch: Record<string, unknown>): void {
  deps.tasks.track(
    recordSettlement(
      deps,
      { tenant: target.tenant, keyId: target.keyId, runId: target.runId },
      target.decisionId,
      patch,
    ),
  );
}

/**
 * The tokens at the provider's usage (or a cut stream's estimate: the input as held, each hosted
 * call's re-read, the output seen and any prediction), plus the fees of the hosted calls the response shows.
 */
function actualCost(
  deps: PipelineDeps,
  target: SettleTarget,
  outcome: Exclude<SettleOutcome, { kind: 'release' }>,
): { actualMicros: Micros; source: UsageSource; usage: Usage | null; feesMicros: Micros } {
  const { price, inputTokens, hostedTools } = target.plan;
  if (outcome.kind === 'full_hold') {
    return { actualMicros: target.holdMicros, source: 'estimated', usage: null, feesMicros: 0 };
  }
  const calls = outcome.hostedCalls ?? {};
  const feesMicros = hostedTools ? hostedFeesMicros(hostedTools, calls) : 0;
  if (outcome.kind === 'usage') {
    // Charged at the tier the provider says it served, not the one that was held.
    const served = priceForServedTier(price, outcome.usage.serviceTier);
    if (!served.known) {
      deps.logger.warn(
        { decision_id: target.decisionId, model: price.model, service_tier: outcome.usage.serviceTier },
        'the provider served a service tier the price table does not price; charged at the dearest priced tier',
      );
    }
    return {
      actualMicros: costMicros(served.price, outcome.usage) + feesMicros,
      source: 'provider',
      usage: outcome.usage,
      feesMicros,
    };
  }
  // Rejected prediction tokens are billed as output but never streamed: count them all. The input
  // is what the provider reported at the stream's start when it did (Anthropic), else as held.
  const outputTokens = countOutputTokens(outcome.outputText, price, deps.tokenizer) + target.plan.extraOutputTokens;
  const rereads = hostedTools ? hostedCallCount(hostedTools, calls) * hostedTools.stepInputTokens : 0;
  const reported = outcome.inputUsage ?? null;
  const usage: Usage = reported
    ? { ...reported, inputTokens: reported.inputTokens + rereads, outputTokens, reasoningTokens: 0 }
    : {
        inputTokens: inputTokens + rereads,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens,
        reasoningTokens: 0,
      };
  return { actualMicros: costMicros(price, usage) + feesMicros, source: 'estimated', usage, feesMicros };
}

function renderUsage(usage: Usage): Record<string, number | string> {
  // service_tier first when reported, without a leading spread: `{ ...(tier ? {...} : {}), ... }`
  // costs ~1.5 µs per property after the spread on Node 20.
  const out: Record<string, number | string> = usage.serviceTier ? { service_tier: usage.serviceTier } : {};
  out['input_tokens'] = usage.inputTokens;
  out['cached_input_tokens'] = usage.cachedInputTokens;
  out['cache_write_tokens'] = usage.cacheWriteTokens;
  out['cache_write_1h_tokens'] = usage.cacheWrite1hTokens;
  out['output_tokens'] = usage.outputTokens;
  out['reasoning_tokens'] = usage.reasoningTokens;
  return out;
}

function now(deps: PipelineDeps): string {
  return new Date(deps.clock()).toISOString();
}
