// The decision record (docs/design.md §5) of a budget API reservation: the proxy's record
// (../decision-record.ts) when the hold is priced by model, the same members with no token fields when
// the caller names an amount. Pure.
import type { BrakeVerdict, ScopeView } from '../../ledger/index.js';
import type { Micros } from '../../money/micros.js';
import type { Principal } from '../../principal.js';
import type { DecisionKind } from '../decision.js';
import type { CallPlan } from '../plan.js';
import { decisionRecord } from '../decision-record.js';

/** Attribution endpoint (and metrics label) of budget API reservations. */
export const RESERVATIONS_ENDPOINT = 'reservations';

export interface ReservationRecordInput {
  readonly id: string;
  readonly nowMs: number;
  readonly principal: Principal;
  readonly runId: string;
  readonly feature: string | null;
  readonly userId: string | null;
  readonly decision: DecisionKind;
  readonly mode: string;
  readonly code: string | null;
  readonly blocking: ScopeView | null;
  /** The hold priced by model; null when the caller named an amount. */
  readonly plan: CallPlan | null;
  readonly amountMicros: Micros;
  readonly priceTableVersion: string;
  readonly reservationId: string | null;
  readonly ttlMs: number;
  readonly views: readonly ScopeView[];
  readonly alternatives: readonly CallPlan[];
  readonly brake?: BrakeVerdict | null;
}

export function reservationDecisionRecord(input: ReservationRecordInput): Record<string, unknown> {
  return {
    ...decisionRecord({
      ...input,
      endpoint: RESERVATIONS_ENDPOINT,
      requestedModel: input.plan?.price.model ?? null,
      requested: input.plan,
      selected: input.decision === 'block' || input.decision === 'throttle' ? null : input.plan,
      failOpen: false,
    }),
    source: 'decision_plane',
    pricing: input.plan ? 'model' : 'amount',
    ttl_ms: input.ttlMs,
  };
}
