// Retention pruning on SQLite (docs/ledger.md "Retention"): deletes, in one short
// BEGIN IMMEDIATE transaction per kind and at most `limit` rows each, what the retention
// window no longer needs. Never touches a live hold, a run holding one, or a lifetime
// ceiling of a key, user or team, nor a parent run whose sub-agent runs are still kept.
// Reads through the indexes of migrations/004 (and runs_by_parent of migrations/006).
import type Database from 'better-sqlite3';
import { guarded } from './db.js';
import type { PruneCounts, RetentionStore } from '../records.js';
import { scopeKey } from '../windows.js';

interface RunCandidate {
  readonly tenant: string;
  readonly run_id: string;
}

interface BucketCandidate {
  readonly tenant: string;
  readonly scope_key: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function createSqliteRetention(db: Database.Database): RetentionStore {
  const settledReservations = db.prepare<[number, number], { readonly id: string }>(
    `SELECT id FROM reservations WHERE settled_at_ms IS NOT NULL AND settled_at_ms < ? LIMIT ?`,
  );
  const deleteReservation = db.prepare<[string]>('DELETE FROM reservations WHERE id = ?');

  // Runs unused (and not closed) since before the cutoff that hold nothing live. A parent
  // stays while any of its sub-agent runs does: their calls still hold against its ceiling.
  const idleRuns = db.prepare<{ before: number; limit: number }, RunCandidate>(
    `SELECT tenant, run_id FROM runs INDEXED BY runs_by_last_activity
     WHERE last_activity_at_ms < @before AND (closed_at_ms IS NULL OR closed_at_ms < @before)
       AND NOT EXISTS (SELECT 1 FROM reservations INDEXED BY reservations_by_run
         WHERE reservations.tenant = runs.tenant AND reservations.run_id = runs.run_id
           AND reservations.state IN ('reserved', 'forwarded'))
       AND NOT EXISTS (SELECT 1 FROM runs AS child INDEXED BY runs_by_parent
         WHERE child.tenant = runs.tenant AND child.parent_run_id = runs.run_id)
     ORDER BY last_activity_at_ms LIMIT @limit`,
  );
  const deleteRun = db.prepare<[string, string]>('DELETE FROM runs WHERE tenant = ? AND run_id = ?');
  // What the brakes and ceiling changes kept for a run go with it (migrations/006).
  const deleteRunExtras = [
    db.prepare<[string, string]>('DELETE FROM run_steps WHERE tenant = ? AND run_id = ?'),
    db.prepare<[string, string]>('DELETE FROM run_velocity WHERE tenant = ? AND run_id = ?'),
    db.prepare<[string, string]>('DELETE FROM run_limit_changes WHERE tenant = ? AND run_id = ?'),
    // Its threshold alerts, delivered or not (docs/design.md §12): a pruned run id is free again.
    db.prepare<[string, string]>('DELETE FROM alert_outbox WHERE tenant = ? AND run_id = ?'),
  ];
  const deleteScope = db.prepare<[string, string]>(
    'DELETE FROM scopes WHERE tenant = ? AND scope_key = ? AND reserved_micros = 0',
  );

  // Window buckets whose window ended before the cutoff (a month counted as 31 days: never early).
  const oldBuckets = db.prepare<{ before: number; limit: number }, BucketCandidate>(
    `SELECT tenant, scope_key FROM scopes INDEXED BY scopes_by_window_start
     WHERE window_start_ms IS NOT NULL AND window_start_ms < @before AND reserved_micros = 0
       AND window_start_ms + CASE scope_window WHEN '1h' THEN ${HOUR_MS} WHEN '1d' THEN ${DAY_MS}
         WHEN '7d' THEN ${7 * DAY_MS} WHEN '30d' THEN ${30 * DAY_MS} ELSE ${31 * DAY_MS} END <= @before
     ORDER BY window_start_ms LIMIT @limit`,
  );
  // Attribution-only scopes (no ceiling, no window: feature tags) unused since before the cutoff.
  const unusedAttribution = db.prepare<[number, number], BucketCandidate>(
    `SELECT tenant, scope_key FROM scopes INDEXED BY scopes_unlimited_by_update
     WHERE limit_micros IS NULL AND scope_window = 'none' AND scope_type <> 'run'
       AND updated_at_ms < ? AND reserved_micros = 0 LIMIT ?`,
  );

  const pruneReservations = db.transaction((beforeMs: number, limit: number): number => {
    const ids = settledReservations.all(beforeMs, limit);
    // A reservation's scope links are in its row (migrations/011).
    for (const { id } of ids) deleteReservation.run(id);
    return ids.length;
  });

  const pruneRuns = db.transaction((before: number, limit: number): { runs: number; scopes: number } => {
    let runs = 0;
    let scopes = 0;
    for (const run of idleRuns.all({ before, limit })) {
      runs += deleteRun.run(run.tenant, run.run_id).changes;
      for (const statement of deleteRunExtras) statement.run(run.tenant, run.run_id);
      scopes += deleteScope.run(run.tenant, scopeKey({ type: 'run', id: run.run_id, window: 'none' }, 0)).changes;
    }
    return { runs, scopes };
  });

  const pruneScopes = db.transaction((before: number, limit: number): number => {
    let scopes = 0;
    for (const bucket of oldBuckets.all({ before, limit }))
      scopes += deleteScope.run(bucket.tenant, bucket.scope_key).changes;
    for (const unused of unusedAttribution.all(before, limit))
      scopes += deleteScope.run(unused.tenant, unused.scope_key).changes;
    return scopes;
  });

  return {
    prune: (beforeMs, limit) =>
      guarded((): PruneCounts => {
        const max = Math.max(1, Math.trunc(limit));
        const reservations = pruneReservations.immediate(beforeMs, max);
        const runs = pruneRuns.immediate(beforeMs, max);
        const scopes = pruneScopes.immediate(beforeMs, max);
        return { runs: runs.runs, reservations, scopes: runs.scopes + scopes };
      }),
  };
}
