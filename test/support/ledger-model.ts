// A deliberately simple in-memory reference model of the ledger for the model-based
// contract test: reservations only, with every scope counter derived as a sum over
// them (docs/design.md §11: counters equal the sums of their reservation rows). Test-only.
import type { EnforcementMode, ScopeSpec } from '../../src/ledger/index.js';

export type ModelState = 'reserved' | 'forwarded' | 'committed' | 'released' | 'expired' | 'reconciled';

export interface ModelReservation {
  readonly id: string;
  readonly amount: number;
  /** Indexes into the model's scope list, in request order. */
  readonly scopes: readonly number[];
  readonly idempotencyKey: string | null;
  state: ModelState;
  /** What this reservation adds to `committed` on every one of its scopes; null when nothing. */
  charged: number | null;
}

export type Prediction<T> = { readonly ok: T } | { readonly error: 'invalid_transition' | 'invalid_amount' };

export function holds(spec: ScopeSpec): boolean {
  return spec.limitMicros !== null && (spec.mode === 'hard_gate' || spec.mode === 'soft_gate');
}

const LIVE: readonly ModelState[] = ['reserved', 'forwarded'];

export class LedgerModel {
  readonly reservations: ModelReservation[] = [];

  constructor(readonly specs: readonly ScopeSpec[]) {}

  committed(scope: number): number {
    return this.reservations
      .filter((r) => r.scopes.includes(scope) && r.charged !== null)
      .reduce((sum, r) => sum + (r.charged ?? 0), 0);
  }

  reserved(scope: number): number {
    const spec = this.spec(scope);
    if (!holds(spec)) return 0;
    return this.reservations
      .filter((r) => r.scopes.includes(scope) && LIVE.includes(r.state))
      .reduce((sum, r) => sum + r.amount, 0);
  }

  /** Whether any settled reservation on this scope was charged more than it held. */
  overran(scope: number): boolean {
    return this.reservations.some((r) => r.scopes.includes(scope) && r.charged !== null && r.charged > r.amount);
  }

  spec(scope: number): ScopeSpec {
    const spec = this.specs[scope];
    if (spec === undefined) throw new Error(`no scope ${scope}`);
    return spec;
  }

  available(scope: number): number | null {
    const limit = this.spec(scope).limitMicros;
    return limit === null ? null : limit - this.committed(scope) - this.reserved(scope);
  }

  /** Outcome of a reserve: reused id, blocking scope index, or a new reservation. */
  reserve(
    id: string,
    amount: number,
    scopes: readonly number[],
    idempotencyKey: string | null,
  ): Prediction<
    { kind: 'reused'; id: string } | { kind: 'blocked'; scope: number } | { kind: 'reserved'; warnings: number[] }
  > {
    if (!Number.isSafeInteger(amount) || amount < 0) return { error: 'invalid_amount' };
    const live = this.reservations.find(
      (r) => r.idempotencyKey !== null && r.idempotencyKey === idempotencyKey && LIVE.includes(r.state),
    );
    if (live !== undefined) return { ok: { kind: 'reused', id: live.id } };
    let blocking: { scope: number; available: number } | null = null;
    const warnings: number[] = [];
    for (const scope of scopes) {
      const spec = this.spec(scope);
      const available = this.available(scope);
      if (spec.limitMicros === null || available === null) continue;
      const blocks = judge(
        spec.mode,
        amount,
        available,
        this.committed(scope),
        spec.limitMicros,
        spec.marginMicros ?? 0,
      );
      if (spec.mode === 'advisory_estimate' && amount > available) warnings.push(scope);
      if (blocks && (blocking === null || available < blocking.available)) blocking = { scope, available };
    }
    if (blocking !== null) return { ok: { kind: 'blocked', scope: blocking.scope } };
    this.reservations.push({ id, amount, scopes, idempotencyKey, state: 'reserved', charged: null });
    return { ok: { kind: 'reserved', warnings } };
  }

  forward(r: ModelReservation): Prediction<boolean> {
    if (r.state === 'forwarded') return { ok: false };
    if (r.state !== 'reserved') return { error: 'invalid_transition' };
    r.state = 'forwarded';
    return { ok: true };
  }

  commit(r: ModelReservation, actual: number): Prediction<boolean> {
    if (!Number.isSafeInteger(actual) || actual < 0) return { error: 'invalid_amount' };
    if (r.state === 'committed' || r.state === 'reconciled') return { ok: false };
    if (r.state === 'released' || (r.state === 'expired' && r.charged === null)) return { error: 'invalid_transition' };
    r.state = r.state === 'expired' ? 'reconciled' : 'committed';
    r.charged = actual;
    return { ok: true };
  }

  release(r: ModelReservation): Prediction<boolean> {
    if (r.state === 'released') return { ok: false };
    if (!LIVE.includes(r.state)) return { error: 'invalid_transition' };
    r.state = 'released';
    return { ok: true };
  }

  /** Expires every live reservation; returns [id, charged] pairs. */
  expireAll(): Array<[string, boolean]> {
    const expired: Array<[string, boolean]> = [];
    for (const r of this.reservations) {
      if (!LIVE.includes(r.state)) continue;
      const charged = r.state === 'forwarded';
      r.state = 'expired';
      r.charged = charged ? r.amount : null;
      expired.push([r.id, charged]);
    }
    return expired;
  }
}

function judge(
  mode: EnforcementMode,
  amount: number,
  available: number,
  committed: number,
  limit: number,
  margin: number,
): boolean {
  switch (mode) {
    case 'hard_gate':
      return amount > available;
    case 'soft_gate':
      return amount > available + margin;
    case 'actuals_only':
      return committed >= limit;
    case 'advisory_estimate':
      return false;
  }
}
