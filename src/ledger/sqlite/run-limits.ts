// A run's ceiling changed after creation (PATCH /budget/runs/{id}, docs/design.md §12) on SQLite:
// the new limit and its history row (who, when, from, to) in one BEGIN IMMEDIATE transaction.
// Moves no money: committed and reserved spend stay as they are.
import type Database from 'better-sqlite3';
import { guarded } from './db.js';
import { RUN_COLUMNS, toRun, type RunRow } from './run-rows.js';
import type { RunLimitChange, RunStore, SetRunLimitOutcome } from '../records.js';
import { assertAmountMicros } from '../validate.js';

interface ChangeRow {
  readonly at_ms: number;
  readonly changed_by: string;
  readonly from_micros: number;
  readonly to_micros: number;
}

const toChange = (row: ChangeRow): RunLimitChange => ({
  atMs: row.at_ms,
  changedBy: row.changed_by,
  fromMicros: row.from_micros,
  toMicros: row.to_micros,
});

export function createSqliteRunLimits(
  db: Database.Database,
  clock: () => number,
): Pick<RunStore, 'setLimit' | 'limitHistory'> {
  const select = db.prepare<[string, string], RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE tenant = ? AND run_id = ?`,
  );
  const update = db.prepare<[number, string, string]>(
    'UPDATE runs SET limit_micros = ? WHERE tenant = ? AND run_id = ?',
  );
  const insert = db.prepare<[string, string, string, string, number, string, number, number]>(
    `INSERT INTO run_limit_changes (tenant, run_id, seq, at_ms, changed_by, from_micros, to_micros)
     VALUES (?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM run_limit_changes WHERE tenant = ? AND run_id = ?),
       ?, ?, ?, ?)`,
  );
  const history = db.prepare<[string, string], ChangeRow>(
    'SELECT at_ms, changed_by, from_micros, to_micros FROM run_limit_changes WHERE tenant = ? AND run_id = ? ORDER BY seq',
  );

  const setTx = db.transaction(
    (tenant: string, runId: string, limitMicros: number, changedBy: string, nowMs: number): SetRunLimitOutcome => {
      const row = select.get(tenant, runId);
      if (row === undefined) return { kind: 'not_found' };
      if (row.state === 'closed') return { kind: 'closed', run: toRun(row) };
      update.run(limitMicros, tenant, runId);
      const change = { atMs: nowMs, changedBy, fromMicros: row.limit_micros, toMicros: limitMicros };
      insert.run(tenant, runId, tenant, runId, nowMs, changedBy, row.limit_micros, limitMicros);
      return { kind: 'changed', run: toRun({ ...row, limit_micros: limitMicros }), change };
    },
  );

  return {
    setLimit: (tenant, runId, limitMicros, changedBy) =>
      guarded(() => {
        assertAmountMicros(limitMicros, 'limitMicros');
        return setTx.immediate(tenant, runId, limitMicros, changedBy, clock());
      }),
    limitHistory: (tenant, runId) => guarded(() => history.all(tenant, runId).map(toChange)),
  };
}
