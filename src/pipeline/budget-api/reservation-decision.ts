// The decision of a budget API reservation (docs/design.md §8.2) as headers and, when refused, as
// the problem to throw: a ceiling's block (402, with alternatives when the hold was priced by
// model) or the spend-velocity brake's 429 throttle with Retry-After (docs/design.md §12). Records
// and announces a refusal exactly as the proxy does.
import type { TenantPolicy } from '../../config/types.js';
import type { RuncapError } from '../../errors.js';
import type { ReserveOutcome, ScopeView } from '../../ledger/index.js';
import type { Micros } from '../../money/micros.js';
import type { PriceTable } from '../../pricing/types.js';
import type { Principal } from '../../principal.js';
import { announceDecision } from '../announce.js';
import { blockError } from '../block.js';
import { brakeDecision, brakeError, brakeScope } from '../brake.js';
import { budgetHeaders, type DecisionKind, type DecisionState } from '../decision.js';
import { renderAlternative } from '../decision-record.js';
import type { PipelineDeps } from '../deps.js';
import type { CallPlan } from '../plan.js';
import { amountBlockError } from './hold-pricing.js';
import { RESERVATIONS_ENDPOINT, reservationDecisionRecord } from './reservation-record.js';

/** The header state of a reservation's decision. */
export function decisionState(known: {
  id: string | null;
  kind: DecisionKind;
  mode: DecisionState['mode'];
  reservationId: string | null;
  blocking: ScopeView | null;
  runId: string;
  table: PriceTable;
}): DecisionState {
  return {
    id: known.id,
    kind: known.kind,
    mode: known.mode,
    reservationId: known.reservationId,
    blockingScope: known.blocking,
    remainingMicros: known.blocking?.availableMicros ?? null,
    requestedModel: null,
    selectedModel: null,
    outputClamped: false,
    priceTableVersion: known.table.version,
    runId: known.runId,
    failOpen: false,
  };
}

export interface ReservationRefusal {
  readonly tenant: TenantPolicy;
  readonly table: PriceTable;
  readonly outcome: Extract<ReserveOutcome, { kind: 'blocked' | 'braked' }>;
  readonly alternatives: readonly CallPlan[];
  /** What the decision record knows before the decision. */
  readonly record: {
    readonly id: string;
    readonly principal: Principal;
    readonly runId: string;
    readonly feature: string | null;
    readonly userId: string | null;
    readonly plan: CallPlan | null;
    readonly amountMicros: Micros;
    readonly priceTableVersion: string;
    readonly ttlMs: number;
  };
}

/** Records and announces a refused reservation; returns the problem to throw. */
export function refuseReservation(deps: PipelineDeps, refusal: ReservationRefusal): RuncapError {
  const { tenant, table, outcome, record } = refusal;
  const { plan, amountMicros, runId } = record;
  const brake = outcome.kind === 'braked' ? outcome.brake : null;
  const blocking = outcome.kind === 'blocked' ? outcome.blocking : brakeScope(outcome.brake, outcome.scopes);
  const decision: DecisionKind = brake === null ? 'block' : brakeDecision(brake);
  const mode = blocking?.mode ?? tenant.run.mode;
  let error: RuncapError;
  if (outcome.kind === 'braked') {
    error = brakeError({
      tenant,
      brake: outcome.brake,
      runId,
      views: outcome.scopes,
      amountMicros,
      maxOutputTokens: plan?.maxOutputTokens ?? null,
      clientMaxOutputTokens: plan?.clientRequestedMaxOutputTokens ?? null,
      priceTableVersion: table.version,
    });
  } else {
    error = plan
      ? blockError({
          tenant,
          blocking: outcome.blocking,
          plan,
          runId,
          priceTableVersion: table.version,
          alternatives: refusal.alternatives.map(renderAlternative),
        })
      : amountBlockError(tenant, outcome.blocking, amountMicros, runId, table.version);
  }
  announceDecision(deps, {
    id: record.id,
    principal: record.principal,
    decision,
    mode,
    endpoint: RESERVATIONS_ENDPOINT,
    code: error.code,
    scope: blocking,
    runId,
    model: plan?.price.model ?? null,
    estimateMicros: amountMicros,
    hold: null,
    brake,
    record: (nowMs) =>
      reservationDecisionRecord({
        ...record,
        nowMs,
        decision,
        mode,
        code: error.code,
        blocking,
        reservationId: null,
        views: outcome.scopes,
        alternatives: refusal.alternatives,
        brake,
      }),
  });
  const state = decisionState({ id: record.id, kind: decision, mode, reservationId: null, blocking, runId, table });
  return error.withHeaders(budgetHeaders(state));
}
