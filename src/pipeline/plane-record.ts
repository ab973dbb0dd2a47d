// The decision record (SPEC §5) of a decision-plane reservation: the proxy's record
// (record.ts) when the hold is priced by model, the same members with no token fields when
// the caller names an amount. Pure.
import type { ScopeView } from '../ledger/types.js';
import { formatUsd, type Micros } from '../money/micros.js';
import type { Principal } from '../principal.js';
import { renderScope, type DecisionKind } from './decision.js';
import type { CallPlan } from './plan.js';
import { decisionRecord, renderAlternative } from './record.js';

/** Attribution endpoint (and metrics label) of decision-plane reservations. */
export const PLANE_ENDPOINT = 'reservations';

export interface PlaneRecordInput {
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
}

export function planeDecisionRecord(input: PlaneRecordInput): Record<string, unknown> {
  const extra = { source: 'decision_plane', pricing: input.plan ? 'model' : 'amount', ttl_ms: input.ttlMs };
  if (input.plan) {
    return {
      ...decisionRecord({
        ...input,
        endpoint: PLANE_ENDPOINT,
        requestedModel: input.plan.price.model,
        requested: input.plan,
        selected: input.decision === 'block' ? null : input.plan,
        failOpen: false,
      }),
      ...extra,
    };
  }
  return {
    id: input.id,
    created_at: new Date(input.nowMs).toISOString(),
    tenant: input.principal.tenant,
    key_id: input.principal.keyId,
    run_id: input.runId,
    user_id: input.userId,
    team_id: input.principal.teamId,
    feature: input.feature,
    endpoint: PLANE_ENDPOINT,
    decision: input.decision,
    mode: input.mode,
    code: input.code,
    fail_open: false,
    blocking_scope: input.blocking ? renderScope(input.blocking) : null,
    requested_model: null,
    selected_model: null,
    price_table_version: input.priceTableVersion,
    input_tokens: null,
    chain_input_tokens: null,
    client_requested_max_output_tokens: null,
    effective_max_output_tokens: null,
    policy_max_output_tokens: null,
    output_clamped: false,
    output_multiplier: null,
    estimate_usd: formatUsd(input.amountMicros),
    requested_estimate_usd: formatUsd(input.amountMicros),
    reservation_id: input.reservationId,
    scopes: input.views.map(renderScope),
    alternatives: input.alternatives.map(renderAlternative),
    state: input.decision === 'block' ? 'refused' : 'pending',
    actual_usd: null,
    usage_source: null,
    overrun_usd: null,
    usage: null,
    settled_at: null,
    ...extra,
  };
}
