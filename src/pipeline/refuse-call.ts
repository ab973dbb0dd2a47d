// A proxied call the budget refused (docs/design.md §6, §12): a ceiling's block (402 with
// alternatives) or a runaway brake's refusal (429 throttle with Retry-After, or the loop block).
// Records and announces the decision, and returns the problem to throw with its X-Budget-* headers.
import { RuncapError } from '../errors.js';
import type { Admission } from './admit.js';
import { announceDecision } from './announce.js';
import { blockError } from './block.js';
import { brakeDecision, brakeError, brakeScope } from './brake.js';
import type { CallContext } from './call-context.js';
import { budgetHeaders, type DecisionKind, type DecisionState } from './decision.js';
import { decisionRecordOf, renderAlternative, type RecordInput } from './decision-record.js';
import type { PipelineDeps } from './deps.js';
import type { CallPlan } from './plan.js';

/** The parts of a proxied call's decision record known before the decision. */
export type RecordBase = Omit<
  RecordInput,
  | 'nowMs'
  | 'decision'
  | 'mode'
  | 'code'
  | 'blocking'
  | 'selected'
  | 'reservationId'
  | 'views'
  | 'alternatives'
  | 'failOpen'
  | 'requested'
  | 'requestedModel'
  | 'brake'
> & {
  readonly requested: CallPlan;
  readonly requestedModel: string;
};

/** The refused call's decision: records it and returns the problem to throw. */
export function refuseCall(
  deps: PipelineDeps,
  context: CallContext,
  admission: Extract<Admission, { kind: 'blocked' | 'braked' }>,
  record: RecordBase,
): RuncapError {
  const { tenant, table } = context;
  const runId = record.runId;
  let error: RuncapError;
  let decision: DecisionKind;
  if (admission.kind === 'blocked') {
    decision = 'block';
    error = blockError({
      tenant,
      blocking: admission.blocking,
      plan: record.requested,
      runId,
      priceTableVersion: table.version,
      alternatives: admission.alternatives.map(renderAlternative),
    });
  } else {
    decision = brakeDecision(admission.brake);
    error = brakeError({
      tenant,
      brake: admission.brake,
      runId,
      views: admission.views,
      amountMicros: admission.plan.amountMicros,
      maxOutputTokens: admission.plan.maxOutputTokens,
      clientMaxOutputTokens: admission.plan.clientRequestedMaxOutputTokens,
      priceTableVersion: table.version,
    });
  }
  const blocking = admission.kind === 'blocked' ? admission.blocking : brakeScope(admission.brake, admission.views);
  const brake = admission.kind === 'braked' ? admission.brake : null;
  const alternatives = admission.kind === 'blocked' ? admission.alternatives : [];
  const state: DecisionState = {
    id: record.id,
    kind: decision,
    mode: admission.mode,
    reservationId: null,
    blockingScope: blocking,
    remainingMicros: blocking?.availableMicros ?? null,
    requestedModel: record.requestedModel,
    selectedModel: null,
    outputClamped: false,
    priceTableVersion: table.version,
    runId,
    failOpen: false,
  };
  announceDecision(deps, {
    id: record.id,
    principal: context.principal,
    decision,
    mode: admission.mode,
    endpoint: record.endpoint,
    code: error.code,
    scope: blocking,
    runId,
    model: record.requestedModel,
    estimateMicros: (admission.kind === 'braked' ? admission.plan : record.requested).amountMicros,
    hold: null,
    brake,
    record: (nowMs) =>
      decisionRecordOf(record, {
        nowMs,
        decision,
        mode: admission.mode,
        code: error.code,
        blocking,
        selected: admission.kind === 'braked' ? admission.plan : null,
        reservationId: null,
        views: admission.views,
        alternatives,
        failOpen: false,
        brake,
      }),
  });
  return error.withHeaders(budgetHeaders(state));
}
