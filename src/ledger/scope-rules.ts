// The enforcement rules of docs/design.md §5 applied to scope counters: which scopes hold,
// which block, which warn, and which one is reported as blocking. Pure; backends
// read the counters, call evaluateReserve, and write only when nothing blocks.
import type { Micros } from '../money/micros.js';
import type { ScopeSpec, ScopeView } from './types.js';
import { windowStart } from './windows.js';

export interface ScopeCounters {
  readonly committedMicros: Micros;
  readonly reservedMicros: Micros;
}

/** Builds the view of a scope from the caller's spec (limit, mode) and the stored counters. */
export function scopeView(spec: ScopeSpec, key: string, nowMs: number, counters: ScopeCounters): ScopeView {
  return {
    key,
    type: spec.type,
    id: spec.id,
    window: spec.window,
    windowStartMs: windowStart(spec.window, nowMs),
    mode: spec.mode,
    limitMicros: spec.limitMicros,
    committedMicros: counters.committedMicros,
    reservedMicros: counters.reservedMicros,
    availableMicros:
      spec.limitMicros === null ? null : spec.limitMicros - counters.committedMicros - counters.reservedMicros,
  };
}

/** Whether a scope's `reserved` counter carries holds: gating modes with a limit. */
export function scopeHolds(spec: Pick<ScopeSpec, 'mode' | 'limitMicros'>): boolean {
  return spec.limitMicros !== null && (spec.mode === 'hard_gate' || spec.mode === 'soft_gate');
}

export interface ScopeVerdict {
  readonly holds: boolean;
  readonly blocks: boolean;
  readonly warns: boolean;
}

/** One scope against one amount. A scope without a limit never holds, blocks or warns. */
export function judgeScope(spec: ScopeSpec, view: ScopeView, amountMicros: Micros): ScopeVerdict {
  const available = view.availableMicros;
  if (spec.limitMicros === null || available === null) return { holds: false, blocks: false, warns: false };
  switch (spec.mode) {
    case 'hard_gate':
      return { holds: true, blocks: amountMicros > available, warns: false };
    case 'soft_gate':
      return { holds: true, blocks: amountMicros > available + (spec.marginMicros ?? 0), warns: false };
    case 'actuals_only':
      return { holds: false, blocks: view.committedMicros >= spec.limitMicros, warns: false };
    case 'advisory_estimate':
      return { holds: false, blocks: false, warns: amountMicros > available };
  }
}

export interface ReserveEvaluation {
  readonly verdicts: readonly ScopeVerdict[];
  /** The failing scope with the smallest available amount (first in request order on ties). */
  readonly blocking: ScopeView | null;
  readonly warnings: readonly ScopeView[];
}

/** Judges every scope of a reserve; `views` are the counters before the hold, in spec order. */
export function evaluateReserve(
  specs: readonly ScopeSpec[],
  views: readonly ScopeView[],
  amountMicros: Micros,
): ReserveEvaluation {
  const verdicts: ScopeVerdict[] = [];
  const warnings: ScopeView[] = [];
  let blocking: ScopeView | null = null;
  specs.forEach((spec, index) => {
    const view = views[index];
    if (view === undefined) throw new Error(`missing view for scope ${index}`);
    const verdict = judgeScope(spec, view, amountMicros);
    verdicts.push(verdict);
    if (verdict.warns) warnings.push(view);
    if (verdict.blocks && (blocking === null || (view.availableMicros ?? 0) < (blocking.availableMicros ?? 0))) {
      blocking = view;
    }
  });
  return { verdicts, blocking, warnings };
}

/** The view after adding a hold of amountMicros (only for holding scopes). */
export function withHold(view: ScopeView, amountMicros: Micros): ScopeView {
  const reservedMicros = view.reservedMicros + amountMicros;
  // Field by field, in scopeView's order: `{ ...view, reservedMicros, availableMicros }` costs
  // ~3 µs on Node 20 (each property after a leading spread is slow), once per held scope per call.
  return {
    key: view.key,
    type: view.type,
    id: view.id,
    window: view.window,
    windowStartMs: view.windowStartMs,
    mode: view.mode,
    limitMicros: view.limitMicros,
    committedMicros: view.committedMicros,
    reservedMicros,
    availableMicros: view.limitMicros === null ? null : view.limitMicros - view.committedMicros - reservedMicros,
  };
}
