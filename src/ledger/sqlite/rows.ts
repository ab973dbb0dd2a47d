// Prepared statements over the reservations and scopes tables, and the mapping between rows and
// Reservation objects (a reservation's scope links live in its row: migrations/011). No
// state-machine rules here.
import type Database from 'better-sqlite3';
import type { Reservation, ReservationState, ReservedScope, UsageSource } from '../types.js';
import { parseScopeKey } from '../windows.js';
import type { ScopeCounters } from '../scope-rules.js';

export interface ReservationRow {
  readonly id: string;
  readonly tenant: string;
  readonly decision_id: string;
  readonly amount_micros: number;
  readonly state: ReservationState;
  readonly model: string;
  readonly price_table_version: string;
  readonly idempotency_key: string | null;
  readonly run_id: string | null;
  readonly key_id: string;
  readonly user_id: string | null;
  readonly team_id: string | null;
  readonly feature: string | null;
  readonly endpoint: string;
  readonly created_at_ms: number;
  readonly expires_at_ms: number;
  readonly settled_at_ms: number | null;
  readonly actual_micros: number | null;
  readonly overrun_micros: number;
  readonly usage_source: UsageSource | null;
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly cached_input_tokens: number | null;
  readonly reasoning_tokens: number | null;
  /** The velocity bucket the reservation counts in; null when made without the velocity brake. */
  readonly velocity_bucket_ms: number | null;
  /** Its scopes in request order: JSON [scope key, held 0/1] pairs (scopeLinks / readLinks). */
  readonly scope_links: string;
}

export interface ScopeRowInput {
  readonly tenant: string;
  readonly scope_key: string;
  readonly scope_type: string;
  readonly scope_id: string;
  readonly scope_window: string;
  readonly window_start_ms: number | null;
  readonly limit_micros: number | null;
  readonly mode: string;
  /** Added to reserved_micros. */
  readonly hold_micros: number;
  readonly now_ms: number;
}

/** The settled fields a transition writes (rows.updateSettled). */
export interface SettleUpdate {
  readonly state: ReservationState;
  readonly settled_at_ms: number | null;
  readonly actual_micros: number | null;
  readonly overrun_micros: number;
  readonly usage_source: UsageSource | null;
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly cached_input_tokens: number | null;
  readonly reasoning_tokens: number | null;
}

const RESERVATION_COLUMNS = `id, tenant, decision_id, amount_micros, state, model, price_table_version, idempotency_key,
  run_id, key_id, user_id, team_id, feature, endpoint, created_at_ms, expires_at_ms, settled_at_ms,
  actual_micros, overrun_micros, usage_source, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
  velocity_bucket_ms, scope_links`;

/** The columns of a reservation that change while it is live, and what tells one row under an id from another. */
export interface LiveState {
  readonly tenant: string;
  readonly state: ReservationState;
  readonly created_at_ms: number;
  readonly expires_at_ms: number;
}

/** A reservation row's values in RESERVATION_COLUMNS order (positional binding costs less than named). */
function reservationValues(row: ReservationRow): unknown[] {
  return [
    row.id,
    row.tenant,
    row.decision_id,
    row.amount_micros,
    row.state,
    row.model,
    row.price_table_version,
    row.idempotency_key,
    row.run_id,
    row.key_id,
    row.user_id,
    row.team_id,
    row.feature,
    row.endpoint,
    row.created_at_ms,
    row.expires_at_ms,
    row.settled_at_ms,
    row.actual_micros,
    row.overrun_micros,
    row.usage_source,
    row.input_tokens,
    row.output_tokens,
    row.cached_input_tokens,
    row.reasoning_tokens,
    row.velocity_bucket_ms,
    row.scope_links,
  ];
}

/** The scope_links column of a reservation's scopes. */
export function scopeLinks(scopes: readonly ReservedScope[]): string {
  return JSON.stringify(scopes.map((scope) => [scope.key, scope.held ? 1 : 0]));
}

/** A reservation's scopes from its scope_links column (type and id come from the key: windows.ts). */
export function readLinks(row: Pick<ReservationRow, 'id' | 'scope_links'>): ReservedScope[] {
  const links: unknown = JSON.parse(row.scope_links);
  if (!Array.isArray(links)) throw new Error(`reservation ${row.id} has malformed scope links`);
  return links.map((link: unknown) => {
    const [key, held] = Array.isArray(link) ? (link as unknown[]) : [];
    const parsed = typeof key === 'string' ? parseScopeKey(key) : null;
    if (parsed === null || typeof key !== 'string') throw new Error(`reservation ${row.id} has a malformed scope link`);
    return { key, type: parsed.type, id: parsed.id, held: held === 1 };
  });
}

export function prepareRows(db: Database.Database) {
  const insertReservation = db.prepare<unknown[]>(
    `INSERT INTO reservations (${RESERVATION_COLUMNS}) VALUES (${RESERVATION_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`,
  );
  const updateSettled = db.prepare<unknown[]>(
    `UPDATE reservations SET state = ?, settled_at_ms = ?, actual_micros = ?, overrun_micros = ?, usage_source = ?,
      input_tokens = ?, output_tokens = ?, cached_input_tokens = ?, reasoning_tokens = ?
     WHERE id = ? AND state = ?`,
  );
  const upsertScope = db.prepare<unknown[]>(
    `INSERT INTO scopes (tenant, scope_key, scope_type, scope_id, scope_window, window_start_ms, limit_micros, mode,
      committed_micros, reserved_micros, updated_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
     ON CONFLICT (tenant, scope_key) DO UPDATE SET limit_micros = excluded.limit_micros, mode = excluded.mode,
      reserved_micros = reserved_micros + excluded.reserved_micros, updated_at_ms = excluded.updated_at_ms`,
  );
  const holdOnScope = db.prepare<[number | null, string, number, number, string, string]>(
    `UPDATE scopes SET limit_micros = ?, mode = ?, reserved_micros = reserved_micros + ?, updated_at_ms = ?
     WHERE tenant = ? AND scope_key = ?`,
  );
  return {
    /** What may have changed since the row was made (a narrow read: the rest of a row never changes while live). */
    selectLiveState: db.prepare<[string], LiveState>(
      'SELECT tenant, state, created_at_ms, expires_at_ms FROM reservations WHERE id = ?',
    ),
    selectReservation: db.prepare<[string], ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE id = ?`,
    ),
    selectLiveByIdempotency: db.prepare<[string, string], ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM reservations
       WHERE tenant = ? AND idempotency_key = ? AND state IN ('reserved', 'forwarded')`,
    ),
    selectDue: db.prepare<[number, number], ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM reservations
       WHERE state IN ('reserved', 'forwarded') AND expires_at_ms <= ?
       ORDER BY expires_at_ms, id LIMIT ?`,
    ),
    insertReservation: { run: (row: ReservationRow) => insertReservation.run(...reservationValues(row)) },
    updateForwarded: db.prepare<[number, string]>(
      `UPDATE reservations SET state = 'forwarded', expires_at_ms = ? WHERE id = ? AND state = 'reserved'`,
    ),
    updateExpiry: db.prepare<[number, string]>(
      `UPDATE reservations SET expires_at_ms = ? WHERE id = ? AND state IN ('reserved', 'forwarded')`,
    ),
    updateSettled: {
      /** Conditional: row `id` changes only while still in `fromState`, the state it was read in (guards concurrent sweeps). */
      run: (u: SettleUpdate, id: string, fromState: ReservationState) =>
        updateSettled.run(
          u.state,
          u.settled_at_ms,
          u.actual_micros,
          u.overrun_micros,
          u.usage_source,
          u.input_tokens,
          u.output_tokens,
          u.cached_input_tokens,
          u.reasoning_tokens,
          id,
          fromState,
        ),
    },
    selectCounters: db.prepare<[string, string], ScopeCounters>(
      `SELECT committed_micros AS committedMicros, reserved_micros AS reservedMicros
       FROM scopes WHERE tenant = ? AND scope_key = ?`,
    ),
    /**
     * Adds the hold (0 when the scope holds nothing) and refreshes limit and mode: an UPDATE when the reserve read the
     * row (`exists`), else an upsert that creates it. One write either way.
     */
    holdOnScope: {
      run: (input: ScopeRowInput, exists: boolean) =>
        exists
          ? holdOnScope.run(
              input.limit_micros,
              input.mode,
              input.hold_micros,
              input.now_ms,
              input.tenant,
              input.scope_key,
            )
          : upsertScope.run(
              input.tenant,
              input.scope_key,
              input.scope_type,
              input.scope_id,
              input.scope_window,
              input.window_start_ms,
              input.limit_micros,
              input.mode,
              input.hold_micros,
              input.now_ms,
            ),
    },
    /** Adds deltas to a scope's counters (committed, reserved). */
    adjustScope: db.prepare<[number, number, number, string, string]>(
      `UPDATE scopes SET committed_micros = committed_micros + ?, reserved_micros = reserved_micros + ?, updated_at_ms = ?
       WHERE tenant = ? AND scope_key = ?`,
    ),
  };
}

export type Rows = ReturnType<typeof prepareRows>;

export function toReservation(row: ReservationRow, scopes: readonly ReservedScope[]): Reservation {
  const hasTokens = row.input_tokens !== null;
  return {
    id: row.id,
    decisionId: row.decision_id,
    tenant: row.tenant,
    scopes,
    amountMicros: row.amount_micros,
    state: row.state,
    model: row.model,
    priceTableVersion: row.price_table_version,
    idempotencyKey: row.idempotency_key,
    attribution: {
      runId: row.run_id,
      keyId: row.key_id,
      userId: row.user_id,
      teamId: row.team_id,
      feature: row.feature,
      endpoint: row.endpoint,
    },
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    settledAtMs: row.settled_at_ms,
    actualMicros: row.actual_micros,
    overrunMicros: row.overrun_micros,
    usageSource: row.usage_source,
    tokens: hasTokens
      ? {
          inputTokens: row.input_tokens ?? 0,
          outputTokens: row.output_tokens ?? 0,
          cachedInputTokens: row.cached_input_tokens ?? 0,
          reasoningTokens: row.reasoning_tokens ?? 0,
        }
      : null,
  };
}

export function readReservation(rows: Rows, reservationId: string): Reservation | null {
  const row = rows.selectReservation.get(reservationId);
  return row === undefined ? null : toReservation(row, readLinks(row));
}
