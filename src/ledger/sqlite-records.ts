// Decision records (SPEC §5) and spend attribution (SPEC §8 /budget/spend) on SQLite.
// Decision records are opaque JSON; spend reads settled reservation rows, never writes.
import type Database from 'better-sqlite3';
import { guarded } from './sqlite-db.js';
import { LedgerError } from './types.js';
import type { DecisionStore, SpendGroupBy, SpendRow, SpendStore, StoredDecision } from './records.js';

interface DecisionRow {
  readonly id: string;
  readonly tenant: string;
  readonly key_id: string;
  readonly created_at_ms: number;
  readonly record: string;
}

/** Keys json_set may address unquoted; any other patch takes the read-merge-write path. */
const PATCH_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_PATCH_KEYS = 32;
const MAX_PATCH_STATEMENTS = 64;

function parseRecord(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return { ...parsed };
}

function toDecision(row: DecisionRow): StoredDecision {
  return { id: row.id, tenant: row.tenant, keyId: row.key_id, createdAtMs: row.created_at_ms, record: parseRecord(row.record) };
}

export function createSqliteDecisions(db: Database.Database): DecisionStore {
  const upsert = db.prepare<[DecisionRow]>(
    `INSERT INTO decisions (id, tenant, key_id, created_at_ms, record)
     VALUES (@id, @tenant, @key_id, @created_at_ms, @record)
     ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, key_id = excluded.key_id,
       created_at_ms = excluded.created_at_ms, record = excluded.record`,
  );
  const select = db.prepare<[string], DecisionRow>(
    'SELECT id, tenant, key_id, created_at_ms, record FROM decisions WHERE id = ?',
  );
  const updateRecord = db.prepare<[string, string]>('UPDATE decisions SET record = ? WHERE id = ?');
  const prune = db.prepare<[number]>('DELETE FROM decisions WHERE created_at_ms < ?');

  /** Read-merge-write under the write lock, so two settlements never lose each other's fields. */
  const patchTx = db.transaction((id: string, patch: Readonly<Record<string, unknown>>): void => {
    const row = select.get(id);
    if (row === undefined) return; // pruned or never stored: nothing to settle
    updateRecord.run(JSON.stringify({ ...parseRecord(row.record), ...patch }), id);
  });
  /**
   * The same merge in one statement (SQLite's json_set, one statement per set of keys):
   * no read, no parse and re-serialisation of the whole record in JS.
   */
  const patchStatements = new Map<string, Database.Statement<unknown[]>>();
  const patchInPlace = (id: string, patch: Readonly<Record<string, unknown>>): boolean => {
    const keys = Object.keys(patch);
    if (keys.length === 0 || keys.length > MAX_PATCH_KEYS || !keys.every((key) => PATCH_KEY.test(key))) return false;
    const values: unknown[] = keys.map((key) => JSON.stringify(patch[key]));
    // undefined (and anything else JSON cannot hold) drops the key in a JS merge: keep that path for it.
    if (!values.every((value) => typeof value === 'string')) return false;
    const signature = keys.join(',');
    let statement = patchStatements.get(signature);
    if (statement === undefined) {
      const pairs = keys.map((key) => `'$.${key}', json(?)`).join(', ');
      statement = db.prepare<unknown[]>(`UPDATE decisions SET record = json_set(record, ${pairs}) WHERE id = ?`);
      if (patchStatements.size < MAX_PATCH_STATEMENTS) patchStatements.set(signature, statement);
    }
    statement.run(...values, id);
    return true;
  };

  return {
    put: (decision) =>
      guarded(() => {
        upsert.run({
          id: decision.id,
          tenant: decision.tenant,
          key_id: decision.keyId,
          created_at_ms: decision.createdAtMs,
          record: JSON.stringify(decision.record),
        });
      }),
    get: (id) =>
      guarded(() => {
        const row = select.get(id);
        return row === undefined ? null : toDecision(row);
      }),
    patch: (id, patch) =>
      guarded(() => {
        if (!patchInPlace(id, patch)) patchTx.immediate(id, patch);
      }),
    prune: (beforeMs) => guarded(() => prune.run(beforeMs).changes),
  };
}

const GROUP_COLUMN = {
  run: 'run_id',
  key: 'key_id',
  user: 'user_id',
  team: 'team_id',
  feature: 'feature',
  model: 'model',
} as const satisfies Record<SpendGroupBy, string>;

interface SpendParams {
  readonly tenant: string | null;
  readonly key_id: string | null;
  readonly run_id: string | null;
  readonly from_ms: number;
  readonly to_ms: number;
}

interface SpendResultRow {
  readonly grp: string | null;
  readonly costMicros: number;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
}

export function createSqliteSpend(db: Database.Database): SpendStore {
  // `+state` keeps the planner on the settled_at index instead of scanning every settled row by state.
  // Two variants per grouping: one run's spend uses reservations_by_run (an `OR` on a bound
  // parameter would keep SQLite from using it), everything else filters settled rows.
  const prepareFor = (column: string, byRun: boolean) =>
    db.prepare<[SpendParams], SpendResultRow>(
      `SELECT ${column} AS grp, sum(actual_micros) AS costMicros, count(*) AS calls,
         coalesce(sum(input_tokens), 0) AS inputTokens, coalesce(sum(output_tokens), 0) AS outputTokens,
         coalesce(sum(cached_input_tokens), 0) AS cachedInputTokens, coalesce(sum(reasoning_tokens), 0) AS reasoningTokens
       FROM reservations
       WHERE settled_at_ms >= @from_ms AND settled_at_ms < @to_ms
         AND +state IN ('committed', 'expired', 'reconciled') AND actual_micros IS NOT NULL
         AND ${byRun ? 'tenant = @tenant AND run_id = @run_id' : '(@tenant IS NULL OR tenant = @tenant) AND (@run_id IS NULL)'}
         AND (@key_id IS NULL OR key_id = @key_id)
       GROUP BY grp
       ORDER BY costMicros DESC, grp`,
    );
  const variants = (byRun: boolean) =>
    ({
      run: prepareFor(GROUP_COLUMN.run, byRun),
      key: prepareFor(GROUP_COLUMN.key, byRun),
      user: prepareFor(GROUP_COLUMN.user, byRun),
      team: prepareFor(GROUP_COLUMN.team, byRun),
      feature: prepareFor(GROUP_COLUMN.feature, byRun),
      model: prepareFor(GROUP_COLUMN.model, byRun),
    }) satisfies Record<SpendGroupBy, unknown>;
  const all = variants(false);
  const oneRun = variants(true);

  return {
    spend: (query) =>
      guarded((): SpendRow[] => {
        const runId = query.runId ?? null;
        if (runId !== null && query.tenant === null) throw new LedgerError('invalid_scope', 'spend of one run needs its tenant');
        const statement: (typeof all)[SpendGroupBy] | undefined = (runId === null ? all : oneRun)[query.groupBy];
        if (statement === undefined) throw new LedgerError('invalid_scope', `cannot group spend by ${String(query.groupBy)}`);
        return statement
          .all({ tenant: query.tenant, key_id: query.keyId, run_id: runId, from_ms: query.fromMs, to_ms: query.toMs })
          .map(({ grp, ...totals }) => ({ group: grp, ...totals }));
      }),
  };
}
