// Threshold alerts on SQLite (docs/design.md §12): `cross` runs inside a commit's (or a charged
// expiry's) transaction and writes one outbox row per threshold a run's committed spend has
// reached for its current ceiling (UNIQUE per run, threshold and ceiling: never twice); the
// AlertStore is the deliverer's view of that outbox. No HTTP, no delivery.
import type Database from 'better-sqlite3';
import { guarded } from './db.js';
import { reachedThresholds } from '../alert-rules.js';
import type { AlertStore, AlertThresholds, PendingAlert } from '../records.js';
import type { ReservedScope } from '../types.js';

interface OutboxRow {
  readonly id: number;
  readonly tenant: string;
  readonly run_id: string;
  readonly key_id: string;
  readonly threshold_bp: number;
  readonly limit_micros: number;
  readonly committed_micros: number;
  readonly crossed_at_ms: number;
  readonly attempts: number;
}

const OUTBOX_COLUMNS =
  'id, tenant, run_id, key_id, threshold_bp, limit_micros, committed_micros, crossed_at_ms, attempts';

function toAlert(row: OutboxRow): PendingAlert {
  return {
    id: String(row.id),
    tenant: row.tenant,
    runId: row.run_id,
    keyId: row.key_id,
    thresholdBp: row.threshold_bp,
    limitMicros: row.limit_micros,
    committedMicros: row.committed_micros,
    crossedAtMs: row.crossed_at_ms,
    attempts: row.attempts,
  };
}

export interface SqliteAlerts {
  /** Inside the settling transaction: queue the thresholds its run scopes reached. */
  cross(tenant: string, scopes: readonly ReservedScope[], nowMs: number): void;
  readonly store: AlertStore;
}

export function createSqliteAlerts(
  db: Database.Database,
  clock: () => number,
  thresholds: AlertThresholds,
): SqliteAlerts {
  const runFacts = db.prepare<[string, string], { limit_micros: number; key_id: string }>(
    'SELECT limit_micros, key_id FROM runs WHERE tenant = ? AND run_id = ?',
  );
  const committedOf = db.prepare<[string, string], { committed_micros: number }>(
    'SELECT committed_micros FROM scopes WHERE tenant = ? AND scope_key = ?',
  );
  const insert = db.prepare<[string, string, string, number, number, number, number, number]>(
    `INSERT OR IGNORE INTO alert_outbox (tenant, run_id, key_id, threshold_bp, limit_micros, committed_micros,
       crossed_at_ms, next_attempt_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const due = db.prepare<[number, number], OutboxRow>(
    `SELECT ${OUTBOX_COLUMNS} FROM alert_outbox INDEXED BY alert_outbox_due
     WHERE outcome IS NULL AND next_attempt_at_ms <= ? ORDER BY next_attempt_at_ms, id LIMIT ?`,
  );
  const lease = db.prepare<[number, number]>('UPDATE alert_outbox SET next_attempt_at_ms = ? WHERE id = ?');
  const finish = db.prepare<[number, string, string | null, number]>(
    'UPDATE alert_outbox SET delivered_at_ms = ?, outcome = ?, last_error = coalesce(?, last_error) WHERE id = ? AND outcome IS NULL',
  );
  const retry = db.prepare<[number, string, number]>(
    'UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at_ms = ?, last_error = ? WHERE id = ? AND outcome IS NULL',
  );
  const countPending = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM alert_outbox WHERE outcome IS NULL');

  const claim = db.transaction((nowMs: number, leaseMs: number, limit: number): PendingAlert[] => {
    const rows = due.all(nowMs, limit);
    for (const row of rows) lease.run(nowMs + leaseMs, row.id);
    return rows.map(toAlert);
  });

  return {
    cross(tenant, scopes, nowMs) {
      const bps = thresholds(tenant);
      if (bps.length === 0) return;
      for (const scope of scopes) {
        if (scope.type !== 'run') continue;
        const run = runFacts.get(tenant, scope.id);
        const committed = committedOf.get(tenant, scope.key)?.committed_micros;
        if (run === undefined || committed === undefined) continue;
        for (const bp of reachedThresholds(run.limit_micros, committed, bps)) {
          insert.run(tenant, scope.id, run.key_id, bp, run.limit_micros, committed, nowMs, nowMs);
        }
      }
    },
    store: {
      claimDue: (leaseMs, limit) => guarded(() => claim.immediate(clock(), leaseMs, Math.max(1, Math.trunc(limit)))),
      delivered: (alert) =>
        guarded(() => {
          finish.run(clock(), 'delivered', null, Number(alert.id));
        }),
      retryLater: (alert, delayMs, error) =>
        guarded(() => {
          retry.run(clock() + Math.max(0, Math.trunc(delayMs)), error.slice(0, 500), Number(alert.id));
        }),
      drop: (alert, reason) =>
        guarded(() => {
          finish.run(clock(), 'dropped', reason.slice(0, 500), Number(alert.id));
        }),
      pending: () => guarded(() => countPending.get()?.n ?? 0),
    },
  };
}
