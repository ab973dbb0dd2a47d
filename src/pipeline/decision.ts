// A call's budget decision (docs/design.md §5, §6): its kind and state, and the X-Budget-*
// headers and scope rendering made from them. Pure; the record is decision-record.ts's.
import type { EnforcementMode, ScopeView } from '../ledger/index.js';
import { formatUsd, type Micros } from '../money/micros.js';
import { H } from '../headers.js';

/** `throttle`: refused for now by the spend-velocity brake, with Retry-After (docs/design.md §12). */
export type DecisionKind = 'allow' | 'downgrade' | 'advisory_warn' | 'throttle' | 'block';

export interface DecisionState {
  readonly id: string | null;
  readonly kind: DecisionKind;
  readonly mode: EnforcementMode;
  readonly reservationId: string | null;
  /** The scope that blocked or most constrains the call. */
  readonly blockingScope: ScopeView | null;
  readonly remainingMicros: Micros | null;
  readonly requestedModel: string | null;
  readonly selectedModel: string | null;
  readonly outputClamped: boolean;
  readonly priceTableVersion: string | null;
  readonly runId: string | null;
  readonly failOpen: boolean;
}

export function budgetHeaders(state: DecisionState): Record<string, string> {
  const headers: Record<string, string> = {
    [H.decision]: state.kind,
    [H.mode]: state.mode,
  };
  if (state.id) headers[H.decisionId] = state.id;
  if (state.reservationId) headers[H.reservationId] = state.reservationId;
  if (state.blockingScope) headers[H.blockingScope] = scopeLabel(state.blockingScope, state.runId);
  if (state.remainingMicros !== null) headers[H.remaining] = formatUsd(state.remainingMicros);
  if (state.kind === 'downgrade' && state.requestedModel && state.selectedModel) {
    headers[H.requestedModel] = state.requestedModel;
    headers[H.selectedModel] = state.selectedModel;
  }
  if (state.outputClamped) headers[H.outputClamped] = 'true';
  if (state.priceTableVersion) headers[H.priceTableVersion] = state.priceTableVersion;
  if (state.runId) headers[H.runId] = state.runId;
  if (state.failOpen) headers[H.failOpen] = 'true';
  return headers;
}

/**
 * A scope's type as headers, refusals and metrics name it: `parent_run` for the run scope of an
 * ancestor of the call's run (a sub-agent's parent, grandparent, ...), else its type.
 */
export function scopeLabel(view: Pick<ScopeView, 'type' | 'id'>, runId: string | null): string {
  return view.type === 'run' && runId !== null && view.id !== runId ? 'parent_run' : view.type;
}

/** A scope as the API renders it: decimal strings, never floats. */
export function renderScope(view: ScopeView): Record<string, unknown> {
  return {
    type: view.type,
    id: view.id,
    window: view.window,
    window_start: view.windowStartMs === null ? null : new Date(view.windowStartMs).toISOString(),
    mode: view.mode,
    limit_usd: view.limitMicros === null ? null : formatUsd(view.limitMicros),
    committed_usd: formatUsd(view.committedMicros),
    reserved_usd: formatUsd(view.reservedMicros),
    remaining_usd: view.availableMicros === null ? null : formatUsd(view.availableMicros),
  };
}

/** Headers of a refusal made before any budget decision (bad request, unknown price, ...). */
export function refusalState(known: {
  mode: EnforcementMode;
  priceTableVersion: string | null;
  runId: string | null;
}): DecisionState {
  return {
    id: null,
    kind: 'block',
    reservationId: null,
    blockingScope: null,
    remainingMicros: null,
    requestedModel: null,
    selectedModel: null,
    outputClamped: false,
    failOpen: false,
    ...known,
  };
}
