// POST /budget/reservations (docs/design.md §8): the budget API's hold for callers that are not OpenAI
// traffic. The same run resolution, scopes, atomic reserve, X-Budget-* headers, 402 block
// and decision record as the proxy, for an amount or a model-priced worst case. The hold is
// marked forwarded at once: runcap cannot see the caller's spending, so a hold that is
// never committed or released expires charged in full (docs/design.md §3.3, §11).
import type { TenantPolicy } from '../../config/types.js';
import { RuncapError, invalidRequest } from '../../errors.js';
import { newDecisionId, newReservationId } from '../../ids.js';
import type { Reservation, ScopeSpec, ScopeView } from '../../ledger/index.js';
import { formatUsd, type Micros } from '../../money/micros.js';
import { findAlternatives } from '../../policy/alternatives.js';
import { fitsAll, tightestScope } from '../../policy/fits.js';
import { isModelAllowed } from '../../policy/models.js';
import { releaseLostReserve } from '../orphans.js';
import { runBrakes } from '../../policy/brakes.js';
import { buildScopes, endUserId } from '../../policy/scopes.js';
import { lookupModel } from '../../pricing/lookup.js';
import type { ModelPrice, PriceTable } from '../../pricing/types.js';
import type { Principal } from '../../principal.js';
import { announceDecision } from '../announce.js';
import { budgetHeaders, renderScope, type DecisionKind } from '../decision.js';
import type { PipelineDeps } from '../deps.js';
import { LedgerDown, ledgerCall } from '../ledger-call.js';
import { failOpenOrClosed } from '../ledger-outage.js';
import { tenantPolicy } from '../tenant-policy.js';
import { durationParam, MAX_RESERVATION_TTL_MS, usdParam, type ReserveBody } from './input.js';
import { storeCall } from './store-call.js';
import { RESERVATIONS_ENDPOINT, reservationDecisionRecord } from './reservation-record.js';
import { decisionState, refuseReservation } from './reservation-decision.js';
import { planOf, tableFor } from './hold-pricing.js';
import { requestedRunLimit, resolveRun, validRunId } from '../resolve-run.js';
import type { CallPlan } from '../plan.js';
import { priceUnknown } from '../require-price.js';
import { upstreamOf } from '../forward.js';

/** The model column of a hold the caller priced itself (no model). */
export const AMOUNT_MODEL = '(amount)';
const MAX_IDEMPOTENCY_KEY = 255;
const NO_NEEDS = { tools: false, jsonSchema: false, vision: false } as const;

export interface ReservationAnswer {
  readonly status: 200 | 201;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

export async function createReservation(
  deps: PipelineDeps,
  principal: Principal,
  body: ReserveBody,
  idempotencyHeader: string | null,
): Promise<ReservationAnswer> {
  const tenant = tenantPolicy(deps, principal.tenant);
  const table = tableFor(deps, tenant, null);
  const runId = validRunId(body.run_id, 'run_id');
  if (body.run_budget_usd !== undefined) requestedRunLimit(tenant, body.run_budget_usd, 'run_budget_usd');
  if (body.user !== undefined && !tenant.allowUserHeader)
    throw invalidRequest('This tenant does not allow end-user attribution (allow_user_header).', 'user');
  if (
    idempotencyHeader !== null &&
    (idempotencyHeader.length === 0 || idempotencyHeader.length > MAX_IDEMPOTENCY_KEY)
  ) {
    throw invalidRequest(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} characters.`, 'Idempotency-Key');
  }
  const ttlMs =
    body.ttl === undefined ? deps.config.reservationTtlMs : durationParam(body.ttl, 'ttl', MAX_RESERVATION_TTL_MS);
  const plan =
    'model' in body ? pricedPlan(deps, tenant, table, body.model, body.input_tokens, body.max_output_tokens) : null;
  const amountMicros = plan ? plan.amountMicros : usdParam('amount_usd' in body ? body.amount_usd : '', 'amount_usd');
  const feature = body.feature ?? null;
  const userId = endUserId(principal, body.user ?? null);
  // Nothing is written for a passthrough key the provider has not accepted (junk bearer strings).
  await deps.keyVerdicts.requireAccepted(principal, upstreamOf(deps, principal.upstream));

  const run = await resolveRun(
    { open: (request) => storeCall(deps, 'open_run', () => deps.store.runs.open(request)) },
    tenant,
    principal,
    {
      runId,
      budgetUsd: body.run_budget_usd ?? null,
      params: { runId: 'run_id', budget: 'run_budget_usd', parent: 'parent' },
    },
  );
  const scopes = buildScopes(tenant, {
    runId: run.runId,
    runLimitMicros: run.limitMicros,
    keyId: principal.keyId,
    userId,
    teamId: principal.teamId,
    feature,
    ancestors: run.ancestors,
  });
  const decisionId = newDecisionId();
  const base = {
    id: decisionId,
    principal,
    runId: run.runId,
    feature,
    userId,
    plan,
    amountMicros,
    priceTableVersion: table.version,
    ttlMs,
  };

  // Only the velocity brake applies here: a reservation carries no conversation to repeat.
  const brakes = runBrakes(tenant, run.runId, null);
  let outcome;
  const reservationId = newReservationId();
  try {
    outcome = await ledgerCall(deps, 'reserve', () =>
      deps.store.ledger.reserve({
        reservationId,
        decisionId,
        tenant: tenant.name,
        scopes,
        amountMicros,
        ttlMs,
        ...(brakes === undefined ? {} : { brakes }),
        idempotencyKey: idempotencyHeader === null ? null : `${principal.keyId}:reservation:${idempotencyHeader}`,
        model: plan?.price.model ?? AMOUNT_MODEL,
        priceTableVersion: table.version,
        attribution: {
          runId: run.runId,
          keyId: principal.keyId,
          userId,
          teamId: principal.teamId,
          feature,
          endpoint: RESERVATIONS_ENDPOINT,
        },
        // runcap cannot see when the caller spends: the hold counts as forwarded at once,
        // so one that is never settled expires charged in full.
        forwarded: true,
      }),
    );
  } catch (error) {
    if (!(error instanceof LedgerDown)) throw error;
    // The answer was lost, not necessarily the write: undo the hold if it landed.
    releaseLostReserve(deps, reservationId);
    return allowUnheld(deps, tenant, table, run.runId, error);
  }

  if (outcome.kind !== 'reserved') {
    const alternatives =
      outcome.kind === 'blocked' && plan && tenant.downgrade !== 'off'
        ? alternativesFor(deps, tenant, table, plan, outcome.scopes, scopes)
        : [];
    throw refuseReservation(deps, { tenant, table, outcome, alternatives, record: base });
  }

  const { reused, reservation } = outcome;
  const deciding = outcome.warnings[0] ?? tightestScope(outcome.scopes);
  const mode = deciding?.mode ?? tenant.run.mode;
  const decision: DecisionKind = outcome.warnings.length > 0 ? 'advisory_warn' : 'allow';
  const tightest = tightestScope(outcome.scopes);
  if (!reused) {
    announceDecision(deps, {
      id: decisionId,
      principal,
      decision,
      mode,
      endpoint: RESERVATIONS_ENDPOINT,
      code: null,
      scope: tightest,
      runId: run.runId,
      model: plan?.price.model ?? null,
      estimateMicros: amountMicros,
      hold: { reservationId: reservation.id, amountMicros: reservation.amountMicros, views: outcome.scopes },
      record: (nowMs) =>
        reservationDecisionRecord({
          ...base,
          nowMs,
          decision,
          mode,
          code: null,
          blocking: tightest,
          reservationId: reservation.id,
          views: outcome.scopes,
          alternatives: [],
        }),
    });
  }
  const state = decisionState({
    id: reservation.decisionId,
    kind: decision,
    mode,
    reservationId: reservation.id,
    blocking: tightest,
    runId: run.runId,
    table,
  });
  return {
    status: reused ? 200 : 201,
    headers: budgetHeaders(state),
    body: reservationBody(reservation, {
      decision,
      mode,
      remainingMicros: tightest?.availableMicros ?? null,
      views: outcome.scopes,
      reused,
    }),
  };
}

/** Cheaper models (the tenant's chains) whose worst case for the same tokens fits now. */
function alternativesFor(
  deps: PipelineDeps,
  tenant: TenantPolicy,
  table: PriceTable,
  plan: CallPlan,
  views: readonly ScopeView[],
  scopes: readonly ScopeSpec[],
): CallPlan[] {
  const lookup = (model: string): ModelPrice | null => {
    const found = lookupModel(table, model, tenant.priceOverrides);
    return found.found ? found.price : null;
  };
  return findAlternatives({
    requested: plan.price,
    chains: tenant.downgradeChains,
    lookup,
    allowed: (model) => isModelAllowed(tenant, model),
    needs: NO_NEEDS,
    plan: (price) => planOf(price, plan.inputTokens, plan.clientRequestedMaxOutputTokens ?? plan.maxOutputTokens),
    fits: (amount: Micros) => fitsAll(views, scopes, amount),
  });
}

function pricedPlan(
  deps: PipelineDeps,
  tenant: TenantPolicy,
  table: PriceTable,
  model: string,
  inputTokens: number,
  maxOutputTokens: number,
): CallPlan {
  if (!isModelAllowed(tenant, model))
    throw new RuncapError('model_not_allowed', `Model "${model}" is not allowed for this tenant.`, { param: 'model' });
  const found = lookupModel(table, model, tenant.priceOverrides);
  if (!found.found) {
    deps.metrics.priceUnknown.inc();
    throw priceUnknown(model, table.version, tenant.name, 'reserve an amount_usd instead');
  }
  const plan = planOf(found.price, inputTokens, maxOutputTokens);
  if (!plan)
    throw invalidRequest(
      `input_tokens ${inputTokens} does not fit the context window of ${found.price.model} (${found.price.contextWindow} tokens).`,
      'input_tokens',
    );
  return plan;
}

/** The ledger is down: failOpenOrClosed refuses for a tenant that fails closed; the rest get an unheld allow. */
function allowUnheld(
  deps: PipelineDeps,
  tenant: TenantPolicy,
  table: PriceTable,
  runId: string,
  down: LedgerDown,
): ReservationAnswer {
  const log = failOpenOrClosed(deps, {
    tenant,
    priceTableVersion: table.version,
    runId,
    down,
    subject: 'reservation',
    canGoOn: true,
  });
  deps.logger.error(log, 'ledger unavailable: reservation answered allow WITHOUT a hold (fail open)');
  const state = {
    ...decisionState({
      id: null,
      kind: 'allow',
      mode: tenant.run.mode,
      reservationId: null,
      blocking: null,
      runId,
      table,
    }),
    failOpen: true,
  };
  return {
    status: 201,
    headers: budgetHeaders(state),
    body: {
      decision: 'allow',
      fail_open: true,
      decision_id: null,
      reservation_id: null,
      run_id: runId,
      amount_usd: null,
      remaining_usd: null,
      expires_at: null,
      scopes: [],
    },
  };
}

export function reservationBody(
  reservation: Reservation,
  decision: {
    decision: DecisionKind;
    mode: string;
    remainingMicros: Micros | null;
    views: readonly ScopeView[];
    reused: boolean;
  },
): Record<string, unknown> {
  return {
    decision: decision.decision,
    decision_id: reservation.decisionId,
    reservation_id: reservation.id,
    run_id: reservation.attribution.runId,
    state: reservation.state,
    mode: decision.mode,
    model: reservation.model === AMOUNT_MODEL ? null : reservation.model,
    amount_usd: formatUsd(reservation.amountMicros),
    remaining_usd: decision.remainingMicros === null ? null : formatUsd(decision.remainingMicros),
    expires_at: new Date(reservation.expiresAtMs).toISOString(),
    price_table_version: reservation.priceTableVersion,
    reused: decision.reused,
    scopes: decision.views.map(renderScope),
  };
}
