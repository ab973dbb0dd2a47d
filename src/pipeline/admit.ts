// Decides whether a call may go upstream and on what terms (docs/design.md §5, §7, §12): reserve
// the worst case atomically, the runaway brakes included; when a ceiling blocks, try an
// auto-downgrade, then opt-in budget clamping, else block with capability-valid alternatives.
// A brake's refusal is final for this call (a cheaper model would not stop a loop), except that
// a downgrade that fits the ceilings but not the velocity window is answered as a throttle.
import type { TenantPolicy } from '../config/types.js';
import type {
  Attribution,
  BrakeVerdict,
  EnforcementMode,
  Reservation,
  ReserveOutcome,
  RunBrakes,
  RunCheck,
  ScopeSpec,
  ScopeView,
} from '../ledger/index.js';
import { newReservationId } from '../ids.js';
import { findAlternatives } from '../policy/alternatives.js';
import { fitsAll, headroomMicros, tightestScope } from '../policy/fits.js';
import { isModelAllowed } from '../policy/models.js';
import type { ModelPrice } from '../pricing/types.js';
import type { PipelineDeps } from './deps.js';
import type { DecisionKind } from './decision.js';
import { ledgerCall, LedgerDown } from './ledger-call.js';
import { releaseLostReserve } from './orphans.js';
import { clampToBudget, planFor, type CallPlan, type PlanContext } from './plan.js';

export interface AdmitInput {
  readonly tenant: TenantPolicy;
  readonly decisionId: string;
  readonly scopes: readonly ScopeSpec[];
  readonly attribution: Attribution;
  readonly idempotencyKey: string | null;
  readonly planContext: PlanContext;
  readonly requested: CallPlan;
  readonly priceTableVersion: string;
  readonly lookup: (model: string) => ModelPrice | null;
  readonly brakes?: RunBrakes | undefined;
  /** The run was not opened for this call: the reserve checks it (ReserveRequest.runCheck). */
  readonly runCheck?: RunCheck | undefined;
}

export type Admission =
  | {
      readonly kind: 'admitted';
      readonly decision: Exclude<DecisionKind, 'block' | 'throttle'>;
      readonly mode: EnforcementMode;
      readonly plan: CallPlan;
      readonly reservation: Reservation;
      readonly reused: boolean;
      /** Every scope after the hold. */
      readonly views: readonly ScopeView[];
    }
  | {
      readonly kind: 'blocked';
      readonly mode: EnforcementMode;
      readonly blocking: ScopeView;
      readonly views: readonly ScopeView[];
      readonly alternatives: readonly CallPlan[];
    }
  | {
      /** A runaway brake refused the hold of `plan`. */
      readonly kind: 'braked';
      readonly mode: EnforcementMode;
      readonly brake: BrakeVerdict;
      readonly plan: CallPlan;
      readonly views: readonly ScopeView[];
    };

export async function admit(deps: PipelineDeps, input: AdmitInput): Promise<Admission> {
  const first = await reserve(deps, input, input.requested);
  if (first.kind === 'reserved')
    return admitted(first, input.requested, first.warnings.length > 0 ? 'advisory_warn' : 'allow', input);
  if (first.kind === 'braked') return braked(first, input.requested, input);

  const { tenant } = input;
  const fits = (amount: number): boolean => fitsAll(first.scopes, input.scopes, amount);
  const alternatives =
    tenant.downgrade === 'off'
      ? []
      : findAlternatives({
          requested: input.requested.price,
          chains: tenant.downgradeChains,
          lookup: input.lookup,
          allowed: (model) => isModelAllowed(tenant, model),
          needs: input.planContext.request.needs,
          plan: (price) => planAlternative(input.planContext, price),
          fits,
        });

  // The first brake an alternative hit: it fit the ceilings, so that refusal says more than the block.
  let brake: Admission | null = null;
  if (tenant.downgrade === 'auto') {
    for (const plan of alternatives) {
      const outcome = await reserve(deps, input, plan);
      if (outcome.kind === 'reserved') return admitted(outcome, plan, 'downgrade', input);
      if (outcome.kind === 'braked') brake ??= braked(outcome, plan, input);
    }
  }

  if (tenant.budgetClamp) {
    const headroom = headroomMicros(first.scopes, input.scopes);
    const clamped = headroom === null ? null : clampToBudget(input.requested, headroom);
    if (clamped) {
      const outcome = await reserve(deps, input, clamped);
      if (outcome.kind === 'reserved') return admitted(outcome, clamped, 'allow', input);
      if (outcome.kind === 'braked') brake ??= braked(outcome, clamped, input);
    }
  }

  return (
    brake ?? { kind: 'blocked', mode: first.blocking.mode, blocking: first.blocking, views: first.scopes, alternatives }
  );
}

function braked(outcome: Extract<ReserveOutcome, { kind: 'braked' }>, plan: CallPlan, input: AdmitInput): Admission {
  const run = outcome.scopes.find((view) => view.type === 'run' && view.id === outcome.brake.runId);
  return {
    kind: 'braked',
    mode: run?.mode ?? input.tenant.run.mode,
    brake: outcome.brake,
    plan,
    views: outcome.scopes,
  };
}

/** An alternative's plan, or null when its context window cannot hold the input and cap. */
function planAlternative(context: PlanContext, price: ModelPrice): CallPlan | null {
  try {
    const plan = planFor(context, price);
    return plan.inputTokens + plan.maxOutputTokens <= price.contextWindow ? plan : null;
  } catch {
    return null;
  }
}

async function reserve(deps: PipelineDeps, input: AdmitInput, plan: CallPlan) {
  const reservationId = newReservationId();
  try {
    return await reserveAs(deps, input, plan, reservationId);
  } catch (error) {
    // The answer was lost, not necessarily the write: undo the hold if it landed.
    if (error instanceof LedgerDown) releaseLostReserve(deps, reservationId);
    throw error;
  }
}

function reserveAs(deps: PipelineDeps, input: AdmitInput, plan: CallPlan, reservationId: string) {
  return ledgerCall(deps, 'reserve', () =>
    deps.store.ledger.reserve({
      reservationId,
      decisionId: input.decisionId,
      tenant: input.tenant.name,
      scopes: input.scopes,
      amountMicros: plan.amountMicros,
      ttlMs: deps.config.reservationTtlMs,
      idempotencyKey: input.idempotencyKey,
      model: plan.price.model,
      priceTableVersion: input.priceTableVersion,
      attribution: input.attribution,
      // The call goes upstream right after: reserve and mark forwarded in one step.
      forwarded: true,
      ...(input.brakes === undefined ? {} : { brakes: input.brakes }),
      ...(input.runCheck === undefined ? {} : { runCheck: input.runCheck }),
    }),
  );
}

function admitted(
  outcome: { reservation: Reservation; scopes: readonly ScopeView[]; warnings: readonly ScopeView[]; reused: boolean },
  plan: CallPlan,
  decision: Exclude<DecisionKind, 'block' | 'throttle'>,
  input: AdmitInput,
): Admission {
  const deciding = outcome.warnings[0] ?? tightestScope(outcome.scopes);
  return {
    kind: 'admitted',
    decision,
    mode: deciding?.mode ?? input.tenant.run.mode,
    plan,
    reservation: outcome.reservation,
    reused: outcome.reused,
    views: outcome.scopes,
  };
}
