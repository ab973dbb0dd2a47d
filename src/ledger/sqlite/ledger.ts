// The Ledger on SQLite: the atomic multi-scope reserve (one savepoint of the group commit's write
// transaction, group-commit.ts: a known run's check (run-check.ts), the loop brake, every
// enforceable scope and the velocity brake pass, or nothing is written; settled only once
// committed), views, and the async facade over the state machine in settle.ts. Knows nothing
// of HTTP.
import type Database from 'better-sqlite3';
import type { SqliteAlerts } from './alerts.js';
import { createSqliteBrakes } from './brakes.js';
import { guarded, toLedgerError } from './db.js';
import type { GroupCommit } from './group-commit.js';
import { createLiveRows } from './live-rows.js';
import { createRunCheck } from './run-check.js';
import { createTransitions } from './settle.js';
import { prepareRows, readReservation, scopeLinks, toReservation, type ReservationRow, type Rows } from './rows.js';
import { evaluateReserve, scopeView, withHold } from '../scope-rules.js';
import type { Ledger, ReservedScope, ReserveOutcome, ReserveRequest, ScopeSpec, ScopeView } from '../types.js';
import { LedgerError } from '../types.js';
import { assertAmountMicros, assertDurationMs, assertReserveRequest, assertScopeSpecs } from '../validate.js';
import { scopeKey, windowStart } from '../windows.js';

export interface SqliteLedgerOptions {
  readonly clock: () => number;
  /** A live reservation expires once expiresAt + skewToleranceMs <= now. */
  readonly skewToleranceMs: number;
  /** Closes the underlying database (shared with the rest of the store). */
  readonly close: () => void;
  /** The store's group commit: every write operation runs in its batch transaction. */
  readonly group: GroupCommit;
  /** Threshold alerts checked in each commit's transaction (alerts.ts). */
  readonly alerts: Pick<SqliteAlerts, 'cross'>;
}

const ZERO = { committedMicros: 0, reservedMicros: 0 } as const;

/** The scopes' views in spec order; `found[i]` tells whether scope i has a row yet (when given). */
function currentViews(
  rows: Rows,
  tenant: string,
  specs: readonly ScopeSpec[],
  nowMs: number,
  found?: boolean[],
): ScopeView[] {
  return specs.map((spec) => {
    const key = scopeKey(spec, nowMs);
    const counters = rows.selectCounters.get(tenant, key);
    found?.push(counters !== undefined);
    return scopeView(spec, key, nowMs, counters ?? ZERO);
  });
}

export function createSqliteLedger(db: Database.Database, options: SqliteLedgerOptions): Ledger {
  const rows = prepareRows(db);
  const brakes = createSqliteBrakes(db);
  const live = createLiveRows();
  const checkRun = createRunCheck(db);
  const transitions = createTransitions(db, rows, brakes, options.alerts, live);
  const { clock, skewToleranceMs, group } = options;
  /** Checks run now, on the caller's turn (a bad request fails alone); the write joins the batch. */
  const write = <T>(check: () => () => T): Promise<T> => {
    let step: () => T;
    try {
      step = check();
    } catch (error) {
      return Promise.reject(toLedgerError(error));
    }
    return group.run(step);
  };
  const pingStatement = db.prepare('SELECT 1');

  const reused = (request: ReserveRequest, existingId: string, nowMs: number): ReserveOutcome => {
    const reservation = readReservation(rows, existingId);
    if (reservation === null) throw new LedgerError('reservation_not_found', `reservation ${existingId} vanished`);
    const views = currentViews(rows, request.tenant, request.scopes, nowMs);
    const { warnings } = evaluateReserve(request.scopes, views, reservation.amountMicros);
    return { kind: 'reserved', reservation, scopes: views, warnings, reused: true };
  };

  /** Runs inside the group commit's transaction, as its own savepoint. */
  const reserveStep = (request: ReserveRequest, nowMs: number): ReserveOutcome => {
    // First, as opening the run came before the reserve: a run that changed writes nothing.
    checkRun(request, nowMs);
    const sameId = rows.selectLiveState.get(request.reservationId);
    if (sameId !== undefined) {
      const isLive = sameId.state === 'reserved' || sameId.state === 'forwarded';
      if (isLive && sameId.tenant === request.tenant) return reused(request, request.reservationId, nowMs);
      throw new LedgerError(
        'invalid_transition',
        `reservation id ${request.reservationId} is already used (${sameId.state})`,
      );
    }
    const idempotencyKey = request.idempotencyKey ?? null;
    if (idempotencyKey !== null) {
      const live = rows.selectLiveByIdempotency.get(request.tenant, idempotencyKey);
      if (live !== undefined) return reused(request, live.id, nowMs);
    }

    const found: boolean[] = [];
    const views = currentViews(rows, request.tenant, request.scopes, nowMs, found);
    const loop = brakes.checkLoop(request);
    if (loop.verdict !== null) return { kind: 'braked', brake: loop.verdict, scopes: views };
    const { verdicts, blocking, warnings } = evaluateReserve(request.scopes, views, request.amountMicros);
    if (blocking !== null) return { kind: 'blocked', blocking, scopes: views };
    const velocity = brakes.checkVelocity(request, nowMs);
    if (velocity !== null) return { kind: 'braked', brake: velocity, scopes: views };
    const velocityBucketMs = brakes.record(request, loop.repeats, nowMs);

    const attribution = request.attribution;
    const reservedScopes: ReservedScope[] = request.scopes.map((spec, index) => ({
      key: views[index]?.key ?? scopeKey(spec, nowMs),
      type: spec.type,
      id: spec.id,
      held: verdicts[index]?.holds ?? false,
    }));
    const inserted: ReservationRow = {
      id: request.reservationId,
      tenant: request.tenant,
      decision_id: request.decisionId,
      amount_micros: request.amountMicros,
      state: request.forwarded === true ? 'forwarded' : 'reserved',
      model: request.model,
      price_table_version: request.priceTableVersion,
      idempotency_key: idempotencyKey,
      run_id: attribution.runId,
      key_id: attribution.keyId,
      user_id: attribution.userId,
      team_id: attribution.teamId,
      feature: attribution.feature,
      endpoint: attribution.endpoint,
      created_at_ms: nowMs,
      expires_at_ms: nowMs + request.ttlMs,
      settled_at_ms: null,
      actual_micros: null,
      overrun_micros: 0,
      usage_source: null,
      input_tokens: null,
      output_tokens: null,
      cached_input_tokens: null,
      reasoning_tokens: null,
      velocity_bucket_ms: velocityBucketMs,
      scope_links: scopeLinks(reservedScopes),
    };
    rows.insertReservation.run(inserted);
    const after = request.scopes.map((spec, index) => {
      const view = views[index];
      const holds = verdicts[index]?.holds ?? false;
      if (view === undefined) throw new Error(`missing view for scope ${index}`);
      rows.holdOnScope.run(
        {
          tenant: request.tenant,
          scope_key: view.key,
          scope_type: spec.type,
          scope_id: spec.id,
          scope_window: spec.window,
          window_start_ms: windowStart(spec.window, nowMs),
          limit_micros: spec.limitMicros,
          mode: spec.mode,
          hold_micros: holds ? request.amountMicros : 0,
          now_ms: nowMs,
        },
        found[index] === true,
      );
      return holds ? withHold(view, request.amountMicros) : view;
    });
    live.remember(inserted, reservedScopes);
    // Built from what was just written, not read back.
    return {
      kind: 'reserved',
      reservation: toReservation(inserted, reservedScopes),
      scopes: after,
      warnings,
      reused: false,
    };
  };

  const viewTx = db.transaction((tenant: string, specs: readonly ScopeSpec[], nowMs: number) =>
    currentViews(rows, tenant, specs, nowMs),
  );

  return {
    backend: 'sqlite',
    // A known run is checked in the reserve's savepoint (run-check.ts), not read again before it.
    checksRuns: true,
    reserve: (request) =>
      write(() => {
        const nowMs = clock();
        assertReserveRequest(request, nowMs);
        return () => reserveStep(request, nowMs);
      }),
    markForwarded: (id, extendTtlMs) =>
      write(() => {
        if (extendTtlMs !== undefined) assertDurationMs(extendTtlMs, 'extendTtlMs');
        const nowMs = clock();
        return () => transitions.markForwarded(id, extendTtlMs, nowMs);
      }),
    extend: (id, ttlMs) =>
      write(() => {
        assertDurationMs(ttlMs);
        const nowMs = clock();
        return () => transitions.extend(id, ttlMs, nowMs);
      }),
    commit: (id, request) =>
      write(() => {
        assertAmountMicros(request.actualMicros, 'actualMicros');
        const nowMs = clock();
        return () => transitions.commit(id, request, nowMs);
      }),
    release: (id) =>
      write(() => {
        const nowMs = clock();
        return () => transitions.release(id, nowMs);
      }),
    expireDue: (nowMs) =>
      guarded(() => {
        // Queued operations first: an expiry sweep must not overtake a settlement already issued.
        group.flush();
        const now = nowMs ?? clock();
        return transitions.expireDue(now - skewToleranceMs, now);
      }),
    getReservation: (id) => guarded(() => readReservation(rows, id)),
    view: (tenant, specs) =>
      guarded(() => {
        const nowMs = clock();
        assertScopeSpecs(specs, nowMs);
        return viewTx.deferred(tenant, specs, nowMs);
      }),
    ping: () => guarded(() => void pingStatement.get()),
    close: () => guarded(() => options.close()),
  };
}
