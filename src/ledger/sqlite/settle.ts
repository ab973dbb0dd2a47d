// The reservation state machine of docs/design.md §3.3 on SQLite: forward, extend, commit,
// release, expire. Each transition moves the row and its scope counters together inside one
// write transaction (the group commit's, group-commit.ts, where it is its own savepoint; expiry
// sweeps their own BEGIN IMMEDIATE), with any threshold alert it crosses (alerts.ts);
// repeats are no-ops. No reserve logic here.
import type Database from 'better-sqlite3';
import type { SqliteAlerts } from './alerts.js';
import type { SqliteBrakes } from './brakes.js';
import type { LiveRows } from './live-rows.js';
import type { Rows, ReservationRow, SettleUpdate } from './rows.js';
import { readLinks, readReservation, toReservation } from './rows.js';
import type { CommitRequest, ExpiredReservation, ReservedScope, SettleResult } from '../types.js';
import { LedgerError } from '../types.js';

const EXPIRE_BATCH = 256;

/** The transitions run inside a write transaction the caller opened (the group commit's). */
export interface Transitions {
  markForwarded(id: string, extendTtlMs: number | undefined, nowMs: number): SettleResult;
  extend(id: string, ttlMs: number, nowMs: number): SettleResult;
  commit(id: string, request: CommitRequest, nowMs: number): SettleResult;
  release(id: string, nowMs: number): SettleResult;
  /** Expires every live reservation with expiresAt <= dueBeforeMs, in batches. */
  expireDue(dueBeforeMs: number, nowMs: number): ExpiredReservation[];
}

export function createTransitions(
  db: Database.Database,
  rows: Rows,
  brakes: SqliteBrakes,
  alerts: Pick<SqliteAlerts, 'cross'>,
  live: LiveRows,
): Transitions {
  /**
   * The row and its scopes as they stand: a live hold this process made costs one narrow read
   * (live-rows.ts); anything else reads the row (its scope links are in it).
   */
  const load = (id: string): { row: ReservationRow; scopes: readonly ReservedScope[] } => {
    const now = rows.selectLiveState.get(id);
    if (now === undefined) throw new LedgerError('reservation_not_found', `reservation ${id} does not exist`);
    const known = live.current(id, now);
    if (known !== null) return known;
    const row = rows.selectReservation.get(id);
    if (row === undefined) throw new LedgerError('reservation_not_found', `reservation ${id} does not exist`);
    return { row, scopes: readLinks(row) };
  };
  /** What the transaction just wrote, without reading it back. */
  const written = (row: ReservationRow, scopes: readonly ReservedScope[]): SettleResult => ({
    reservation: toReservation(row, scopes),
    changed: true,
  });
  const result = (id: string, changed: boolean): SettleResult => {
    const reservation = readReservation(rows, id);
    if (reservation === null) throw new LedgerError('reservation_not_found', `reservation ${id} does not exist`);
    return { reservation, changed };
  };
  const illegal = (row: ReservationRow, action: string, why = ''): LedgerError =>
    new LedgerError('invalid_transition', `cannot ${action} reservation ${row.id} in state ${row.state}${why}`);

  /**
   * Moves every scope of a reservation: committed += committedDelta; held scopes give back the
   * hold. A reservation made under the velocity brake moves its bucket the same way.
   */
  const moveCounters = (
    row: ReservationRow,
    scopes: readonly ReservedScope[],
    committedDelta: number,
    releaseHold: boolean,
    nowMs: number,
  ): void => {
    for (const scope of scopes) {
      const reservedDelta = releaseHold && scope.held ? -row.amount_micros : 0;
      if (committedDelta !== 0 || reservedDelta !== 0) {
        rows.adjustScope.run(committedDelta, reservedDelta, nowMs, row.tenant, scope.key);
      }
    }
    if (row.velocity_bucket_ms !== null) {
      brakes.settle(row.tenant, row.velocity_bucket_ms, scopes, committedDelta, releaseHold ? row.amount_micros : 0);
    }
    // Spend that grew may cross a threshold alert: queued in this same transaction.
    if (committedDelta > 0) alerts.cross(row.tenant, scopes, nowMs);
  };

  /** Writes the settled state and returns the row as it now stands. */
  const settle = (row: ReservationRow, update: SettleUpdate): ReservationRow => {
    // No `{ ...update, id, from_state }`: on Node 20 a spread followed by literal keys costs ~3 µs.
    const changes = rows.updateSettled.run(update, row.id, row.state).changes;
    if (changes !== 1) throw new Error(`reservation ${row.id} changed state concurrently`);
    live.forget(row.id);
    return { ...row, ...update };
  };

  const noTokens = { input_tokens: null, output_tokens: null, cached_input_tokens: null, reasoning_tokens: null };

  const markForwarded = (id: string, extendTtlMs: number | undefined, nowMs: number): SettleResult => {
    const { row, scopes } = load(id);
    if (row.state === 'forwarded') return result(id, false);
    if (row.state !== 'reserved') throw illegal(row, 'forward');
    const expiresAtMs =
      extendTtlMs === undefined ? row.expires_at_ms : Math.max(row.expires_at_ms, nowMs + extendTtlMs);
    rows.updateForwarded.run(expiresAtMs, id);
    return written({ ...row, state: 'forwarded', expires_at_ms: expiresAtMs }, scopes);
  };

  const extend = (id: string, ttlMs: number, nowMs: number): SettleResult => {
    const { row, scopes } = load(id);
    if (row.state !== 'reserved' && row.state !== 'forwarded') throw illegal(row, 'extend');
    const expiresAtMs = Math.max(row.expires_at_ms, nowMs + ttlMs);
    if (expiresAtMs === row.expires_at_ms) return result(id, false);
    rows.updateExpiry.run(expiresAtMs, id);
    return written({ ...row, expires_at_ms: expiresAtMs }, scopes);
  };

  const commit = (id: string, request: CommitRequest, nowMs: number): SettleResult => {
    const { row, scopes } = load(id);
    const anyHeld = scopes.some((scope) => scope.held);
    const actual = request.actualMicros;
    const overrunMicros = anyHeld ? Math.max(0, actual - row.amount_micros) : 0;
    const tokens = request.tokens
      ? {
          input_tokens: request.tokens.inputTokens,
          output_tokens: request.tokens.outputTokens,
          cached_input_tokens: request.tokens.cachedInputTokens,
          reasoning_tokens: request.tokens.reasoningTokens,
        }
      : noTokens;
    switch (row.state) {
      case 'committed':
      case 'reconciled':
        return result(id, false);
      case 'released':
        throw illegal(row, 'commit');
      case 'expired': {
        if (row.actual_micros === null)
          throw illegal(row, 'commit', ' (it expired before it was forwarded; its hold was released)');
        // The full hold was charged at expiry; replace that charge with the late actual.
        moveCounters(row, scopes, actual - row.actual_micros, false, nowMs);
        const reconciled = settle(row, {
          state: 'reconciled',
          settled_at_ms: row.settled_at_ms,
          actual_micros: actual,
          overrun_micros: overrunMicros,
          usage_source: request.usageSource,
          ...tokens,
        });
        return written(reconciled, scopes);
      }
      case 'reserved':
      case 'forwarded':
        moveCounters(row, scopes, actual, true, nowMs);
        const committed = settle(row, {
          state: 'committed',
          settled_at_ms: nowMs,
          actual_micros: actual,
          overrun_micros: overrunMicros,
          usage_source: request.usageSource,
          ...tokens,
        });
        return written(committed, scopes);
    }
  };

  const release = (id: string, nowMs: number): SettleResult => {
    const { row, scopes } = load(id);
    if (row.state === 'released') return result(id, false);
    if (row.state !== 'reserved' && row.state !== 'forwarded') throw illegal(row, 'release');
    moveCounters(row, scopes, 0, true, nowMs);
    return written(
      settle(row, {
        state: 'released',
        settled_at_ms: nowMs,
        actual_micros: null,
        overrun_micros: 0,
        usage_source: null,
        ...noTokens,
      }),
      scopes,
    );
  };

  const expireBatch = db.transaction((dueBeforeMs: number, nowMs: number): ExpiredReservation[] => {
    const expired: ExpiredReservation[] = [];
    for (const row of rows.selectDue.all(dueBeforeMs, EXPIRE_BATCH)) {
      const charged = row.state === 'forwarded';
      const changes = rows.updateSettled.run(
        {
          state: 'expired',
          settled_at_ms: nowMs,
          actual_micros: charged ? row.amount_micros : null,
          overrun_micros: 0,
          usage_source: charged ? 'expired' : null,
          ...noTokens,
        },
        row.id,
        row.state,
      ).changes;
      if (changes !== 1) continue;
      live.forget(row.id);
      moveCounters(row, readLinks(row), charged ? row.amount_micros : 0, true, nowMs);
      expired.push({ reservation: result(row.id, true).reservation, charged });
    }
    return expired;
  });

  return {
    markForwarded,
    extend,
    commit,
    release,
    expireDue: (dueBeforeMs, nowMs) => {
      const all: ExpiredReservation[] = [];
      for (;;) {
        const batch = expireBatch.immediate(dueBeforeMs, nowMs);
        all.push(...batch);
        if (batch.length < EXPIRE_BATCH) return all;
      }
    },
  };
}
