// Commit and release of budget API reservations (docs/design.md §3.3, §8): the caller reports
// an amount or its usage (priced at the reservation's model), usage_source 'caller'. Both
// are idempotent (a repeat answers the settled reservation); commit after release and
// release after commit are 409. Proxy holds are settled by the proxy, never from here.
import { RuncapError } from '../../errors.js';
import type { Reservation, TokenTotals } from '../../ledger/index.js';
import { formatUsd, type Micros } from '../../money/micros.js';
import type { Usage } from '../../pricing/types.js';
import type { Caller } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';
import { recordSettlement } from '../event-data.js';
import { canSee, notFound } from './access.js';
import type { CommitBody } from './input.js';
import { usdParam } from './input.js';
import { storeCall } from './store-call.js';
import { usageCost } from './hold-pricing.js';
import { RESERVATIONS_ENDPOINT } from './reservation-record.js';
import { AMOUNT_MODEL } from './reserve.js';

/** The reservation if the caller may see it (its own key's, or any for the admin); else 404. */
export async function visibleReservation(deps: PipelineDeps, caller: Caller, id: string): Promise<Reservation> {
  const reservation = await storeCall(deps, 'get_reservation', () => deps.store.ledger.getReservation(id));
  if (!reservation || !canSee(caller, reservation.tenant, reservation.attribution.keyId))
    throw notFound('reservation', id);
  return reservation;
}

export async function commitReservation(
  deps: PipelineDeps,
  caller: Caller,
  id: string,
  body: CommitBody,
): Promise<Record<string, unknown>> {
  const reservation = callerOwned(await visibleReservation(deps, caller, id));
  if (reservation.state === 'released')
    throw conflict(reservation, 'commit', 'it was released, so nothing was charged; reserve again for new spending');
  // The tenant may have left the configuration since the hold was made.
  const tenant = deps.config.tenants.get(reservation.tenant);
  let actualMicros: Micros;
  let tokens: TokenTotals | null = null;
  let usage: Usage | null = null;
  if ('amount_usd' in body) {
    actualMicros = usdParam(body.amount_usd, 'amount_usd');
  } else {
    if (reservation.model === AMOUNT_MODEL || !tenant) {
      throw new RuncapError(
        'invalid_request',
        `Reservation ${id} was made for an amount, not a model: commit amount_usd.`,
        { param: 'usage' },
      );
    }
    usage = {
      inputTokens: body.usage.input_tokens,
      cachedInputTokens: body.usage.cached_input_tokens ?? 0,
      cacheWriteTokens: body.usage.cache_write_tokens ?? 0,
      cacheWrite1hTokens: body.usage.cache_write_1h_tokens ?? 0,
      outputTokens: body.usage.output_tokens,
      reasoningTokens: body.usage.reasoning_tokens ?? 0,
    };
    actualMicros = usageCost(deps, tenant, reservation.model, reservation.priceTableVersion, usage);
    tokens = {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      reasoningTokens: usage.reasoningTokens,
    };
  }
  const result = await settleCall(deps, reservation, 'commit', () =>
    deps.store.ledger.commit(id, { actualMicros, usageSource: 'caller', tokens }),
  );
  const settled = result.reservation;
  if (result.changed) {
    // A late commit on an expired hold reconciles it; the expiry already counted its charge.
    if (settled.state !== 'reconciled') deps.metrics.committedUsd.inc({ usage_source: 'caller' }, actualMicros / 1e6);
    if (settled.overrunMicros > 0) {
      deps.metrics.overruns.inc();
      deps.metrics.overrunUsd.inc(settled.overrunMicros / 1e6);
      deps.logger.warn(
        { decision_id: settled.decisionId, overrun_usd: formatUsd(settled.overrunMicros) },
        'commit exceeded its hold (overrun recorded in full)',
      );
    }
    if (actualMicros > 0)
      deps.metrics.estimateRatio.observe({ endpoint: RESERVATIONS_ENDPOINT }, settled.amountMicros / actualMicros);
    await patchDecision(deps, settled, {
      state: settled.state === 'reconciled' ? 'reconciled' : 'settled',
      actual_usd: formatUsd(settled.actualMicros ?? actualMicros),
      usage_source: 'caller',
      overrun_usd: formatUsd(settled.overrunMicros),
      usage: usage
        ? {
            input_tokens: usage.inputTokens,
            cached_input_tokens: usage.cachedInputTokens,
            cache_write_tokens: usage.cacheWriteTokens,
            cache_write_1h_tokens: usage.cacheWrite1hTokens,
            output_tokens: usage.outputTokens,
            reasoning_tokens: usage.reasoningTokens,
          }
        : null,
      settled_at: new Date(deps.clock()).toISOString(),
    });
    deps.logger.info(
      {
        decision_id: settled.decisionId,
        reservation_id: id,
        actual_usd: formatUsd(actualMicros),
        usage_source: 'caller',
      },
      'reservation committed',
    );
  }
  return renderReservation(settled);
}

export async function releaseReservation(
  deps: PipelineDeps,
  caller: Caller,
  id: string,
): Promise<Record<string, unknown>> {
  const reservation = callerOwned(await visibleReservation(deps, caller, id));
  if (reservation.state !== 'reserved' && reservation.state !== 'forwarded' && reservation.state !== 'released') {
    throw conflict(
      reservation,
      'release',
      reservation.state === 'committed' || reservation.state === 'reconciled'
        ? 'it was already committed'
        : 'it expired and its hold was charged; commit the actual amount to reconcile it',
    );
  }
  const result = await settleCall(deps, reservation, 'release', () => deps.store.ledger.release(id));
  if (result.changed) {
    deps.metrics.releasedUsd.inc(result.reservation.amountMicros / 1e6);
    await patchDecision(deps, result.reservation, {
      state: 'released',
      actual_usd: '0.00',
      release_reason: 'caller',
      settled_at: new Date(deps.clock()).toISOString(),
    });
    deps.logger.info({ decision_id: result.reservation.decisionId, reservation_id: id }, 'reservation released');
  }
  return renderReservation(result.reservation);
}

/** A reservation as GET / commit / release answer it. */
export function renderReservation(reservation: Reservation): Record<string, unknown> {
  const tokens = reservation.tokens;
  return {
    reservation_id: reservation.id,
    decision_id: reservation.decisionId,
    run_id: reservation.attribution.runId,
    state: reservation.state,
    model: reservation.model === AMOUNT_MODEL ? null : reservation.model,
    feature: reservation.attribution.feature,
    amount_usd: formatUsd(reservation.amountMicros),
    actual_usd: reservation.actualMicros === null ? null : formatUsd(reservation.actualMicros),
    overrun_usd: formatUsd(reservation.overrunMicros),
    usage_source: reservation.usageSource,
    usage: tokens
      ? {
          input_tokens: tokens.inputTokens,
          output_tokens: tokens.outputTokens,
          cached_input_tokens: tokens.cachedInputTokens,
          reasoning_tokens: tokens.reasoningTokens,
        }
      : null,
    price_table_version: reservation.priceTableVersion,
    created_at: new Date(reservation.createdAtMs).toISOString(),
    expires_at: new Date(reservation.expiresAtMs).toISOString(),
    settled_at: reservation.settledAtMs === null ? null : new Date(reservation.settledAtMs).toISOString(),
  };
}

/** Holds of proxied calls are settled by the proxy; settling them here would race it. */
function callerOwned(reservation: Reservation): Reservation {
  if (reservation.attribution.endpoint !== RESERVATIONS_ENDPOINT) {
    throw new RuncapError(
      'conflict',
      `Reservation ${reservation.id} belongs to a proxied ${reservation.attribution.endpoint} call; runcap settles it when the call ends.`,
    );
  }
  return reservation;
}

/** A ledger transition, with its invalid_transition (a race with another settle) worded for the caller. */
async function settleCall<T>(
  deps: PipelineDeps,
  reservation: Reservation,
  action: 'commit' | 'release',
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await storeCall(deps, action, fn);
  } catch (error) {
    if (error instanceof RuncapError && error.code === 'conflict') {
      const now = await deps.store.ledger.getReservation(reservation.id).catch(() => null);
      throw conflict(now ?? reservation, action, 'it was settled another way');
    }
    throw error;
  }
}

function conflict(reservation: Reservation, action: string, why: string): RuncapError {
  return new RuncapError(
    'conflict',
    `Reservation ${reservation.id} is ${reservation.state}: it cannot be ${action === 'commit' ? 'committed' : 'released'} (${why}).`,
  );
}

function patchDecision(deps: PipelineDeps, reservation: Reservation, patch: Record<string, unknown>): Promise<void> {
  return recordSettlement(
    deps,
    { tenant: reservation.tenant, keyId: reservation.attribution.keyId, runId: reservation.attribution.runId },
    reservation.decisionId,
    patch,
  );
}
