// Budget questions the policy asks of scope views: does an amount fit, how much room
// is left, which scope is tightest. The per-mode rule itself is the ledger's
// (ledger/scope-rules.ts), so the two can never disagree. Pure.
import { evaluateReserve } from '../ledger/index.js';
import type { ScopeSpec, ScopeView } from '../ledger/index.js';
import type { Micros } from '../money/micros.js';

/** True when `amountMicros` would be admitted by every scope (views in spec order). */
export function fitsAll(views: readonly ScopeView[], specs: readonly ScopeSpec[], amountMicros: Micros): boolean {
  return evaluateReserve(specs, views, amountMicros).blocking === null;
}

/** The largest hold every gating scope (hard/soft) would still admit; null when none bounds it. */
export function headroomMicros(views: readonly ScopeView[], specs: readonly ScopeSpec[]): Micros | null {
  let headroom: Micros | null = null;
  views.forEach((view, i) => {
    if (view.availableMicros === null) return;
    if (view.mode !== 'hard_gate' && view.mode !== 'soft_gate') return;
    const room = view.availableMicros + (view.mode === 'soft_gate' ? (specs[i]?.marginMicros ?? 0) : 0);
    headroom = headroom === null ? room : Math.min(headroom, room);
  });
  return headroom;
}

/** The scope with the least money available among those with a limit (X-Budget-Remaining-USD). */
export function tightestScope(views: readonly ScopeView[]): ScopeView | null {
  let tightest: ScopeView | null = null;
  for (const view of views) {
    if (view.availableMicros === null) continue;
    if (tightest === null || view.availableMicros < (tightest.availableMicros ?? 0)) tightest = view;
  }
  return tightest;
}
