// Runs on SQLite (docs/design.md §2): binding a run to its principal (and a new sub-agent run
// to its parent, run-tree.ts) and capping active runs per key, atomically in one savepoint of
// the group commit's write transaction (group-commit.ts). No money moves here.
import type Database from 'better-sqlite3';
import { guarded, toLedgerError } from './db.js';
import type { GroupCommit } from './group-commit.js';
import { createSqliteRunLimits } from './run-limits.js';
import { RUN_COLUMNS, toRun, type RunRow } from './run-rows.js';
import { createRunTree } from './run-tree.js';
import type { OpenRunOutcome, OpenRunRequest, RunRecord, RunStore } from '../records.js';
import { LedgerError } from '../types.js';
import { assertAmountMicros, assertDurationMs } from '../validate.js';

interface ListParams {
  readonly tenant: string;
  readonly key_id: string | null;
  readonly state: string | null;
  readonly after_ms: number;
  readonly after_id: string;
  readonly limit: number;
}

function isActive(row: RunRow, nowMs: number): boolean {
  return row.state === 'open' && row.last_activity_at_ms + row.idle_ttl_ms > nowMs;
}

/**
 * Activity is recorded at this granularity: an active run used again sooner is not
 * rewritten, so a call does not pay a write transaction to move an idle timer of hours
 * by milliseconds (1/1000 of the idle TTL, at most a minute).
 */
export function touchGranularityMs(idleTtlMs: number): number {
  return Math.min(60_000, Math.floor(idleTtlMs / 1000));
}

export function createSqliteRuns(db: Database.Database, clock: () => number, group: GroupCommit): RunStore {
  const select = db.prepare<[string, string], RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE tenant = ? AND run_id = ?`,
  );
  const countActive = db.prepare<[string, string, number], { readonly active: number }>(
    // INDEXED BY: without statistics the planner would scan the tenant's whole primary key.
    `SELECT count(*) AS active FROM runs INDEXED BY runs_by_key
     WHERE tenant = ? AND key_id = ? AND state = 'open' AND last_activity_at_ms + idle_ttl_ms > ?`,
  );
  // Served by the partial index runs_active_until (migrations/002): a range scan of the active runs only.
  const countAllActive = db.prepare<[number], { readonly active: number }>(
    `SELECT count(*) AS active FROM runs INDEXED BY runs_active_until WHERE state = 'open' AND last_activity_at_ms + idle_ttl_ms > ?`,
  );
  const insert = db.prepare<[RunRow]>(
    `INSERT INTO runs (${RUN_COLUMNS}) VALUES (@tenant, @run_id, @key_id, @limit_micros, @state, @tags_json,
      @idle_ttl_ms, @created_at_ms, @last_activity_at_ms, @closed_at_ms, @parent_run_id, @depth)`,
  );
  const tree = createRunTree(db);
  const touch = db.prepare<[number, string, string]>(
    `UPDATE runs SET last_activity_at_ms = max(last_activity_at_ms, ?) WHERE tenant = ? AND run_id = ?`,
  );
  const closeRun = db.prepare<[number, string, string]>(
    `UPDATE runs SET state = 'closed', closed_at_ms = ? WHERE tenant = ? AND run_id = ? AND state = 'open'`,
  );
  // Newest activity first; `(last, id) < (after)` is an index range on runs_by_*_activity (migrations/007).
  const listSql = (byKey: boolean) =>
    `SELECT ${RUN_COLUMNS} FROM runs INDEXED BY ${byKey ? 'runs_by_key_activity' : 'runs_by_tenant_activity'}
     WHERE tenant = @tenant ${byKey ? 'AND key_id = @key_id' : ''}
       AND (last_activity_at_ms, run_id) < (@after_ms, @after_id) AND (@state IS NULL OR state = @state)
     ORDER BY last_activity_at_ms DESC, run_id DESC LIMIT @limit`;
  const listAll = db.prepare<[ListParams], RunRow>(listSql(false));
  const listByKey = db.prepare<[ListParams], RunRow>(listSql(true));

  const reload = (tenant: string, runId: string): RunRecord => {
    const row = select.get(tenant, runId);
    if (row === undefined) throw new Error(`run ${runId} vanished`);
    return toRun(row);
  };

  /** The outcome for a run that exists and may be used, with its ancestors (a read per level). */
  const found = (row: RunRow): OpenRunOutcome => ({
    kind: 'existing',
    run: toRun(row),
    ancestors: tree.ancestors(row.tenant, row.parent_run_id),
  });

  /** Runs inside the group commit's transaction, as its own savepoint. */
  const openStep = (request: OpenRunRequest, nowMs: number): OpenRunOutcome => {
    const existing = select.get(request.tenant, request.runId);
    const parentRunId = request.parentRunId ?? null;
    if (existing !== undefined) {
      if (existing.key_id !== request.keyId) return { kind: 'principal_mismatch' };
      if (request.createOnly === true) return { kind: 'exists', run: toRun(existing) };
      if (parentRunId !== null && parentRunId !== existing.parent_run_id) {
        return tree.otherParent(request, existing, parentRunId);
      }
      if (existing.state === 'closed') return found(existing);
      if (!isActive(existing, nowMs)) {
        // An idle run coming back counts against the cap like a new one.
        const active = countActive.get(request.tenant, request.keyId, nowMs)?.active ?? 0;
        if (active >= request.maxActivePerKey) return { kind: 'too_many_active', active };
      }
      touch.run(nowMs, request.tenant, request.runId);
      return found({ ...existing, last_activity_at_ms: Math.max(existing.last_activity_at_ms, nowMs) });
    }
    const child = parentRunId === null ? null : tree.newChild(request, parentRunId, nowMs);
    if (child !== null && 'kind' in child) return child;
    const active = countActive.get(request.tenant, request.keyId, nowMs)?.active ?? 0;
    if (active >= request.maxActivePerKey) return { kind: 'too_many_active', active };
    insert.run({
      tenant: request.tenant,
      run_id: request.runId,
      key_id: request.keyId,
      limit_micros: child?.limitMicros ?? request.limitMicros,
      state: 'open',
      tags_json: JSON.stringify(request.tags ?? {}),
      idle_ttl_ms: request.idleTtlMs,
      created_at_ms: nowMs,
      last_activity_at_ms: nowMs,
      closed_at_ms: null,
      parent_run_id: parentRunId,
      depth: child?.depth ?? 0,
    });
    return {
      kind: 'created',
      run: reload(request.tenant, request.runId),
      ancestors: tree.ancestors(request.tenant, parentRunId),
    };
  };

  const closeTx = db.transaction((tenant: string, runId: string, nowMs: number): RunRecord | null => {
    closeRun.run(nowMs, tenant, runId);
    const row = select.get(tenant, runId);
    return row === undefined ? null : toRun(row);
  });

  return {
    open: (request) => {
      let nowMs: number;
      try {
        assertAmountMicros(request.limitMicros, 'limitMicros');
        assertDurationMs(request.idleTtlMs, 'idleTtlMs');
        if (!Number.isSafeInteger(request.maxActivePerKey) || request.maxActivePerKey < 0) {
          throw new LedgerError(
            'invalid_scope',
            `maxActivePerKey must be a non-negative integer, got ${request.maxActivePerKey}`,
          );
        }
        nowMs = clock();
        // The common case, a call in an active run of the same principal used moments ago: a read, no write.
        const existing = request.createOnly === true ? undefined : select.get(request.tenant, request.runId);
        if (
          existing !== undefined &&
          existing.key_id === request.keyId &&
          (request.parentRunId == null || request.parentRunId === existing.parent_run_id) &&
          isActive(existing, nowMs) &&
          nowMs - existing.last_activity_at_ms < touchGranularityMs(existing.idle_ttl_ms)
        ) {
          return Promise.resolve(found(existing));
        }
      } catch (error) {
        return Promise.reject(toLedgerError(error));
      }
      return group.run(() => openStep(request, nowMs));
    },
    get: (tenant, runId) =>
      guarded(() => {
        const row = select.get(tenant, runId);
        return row === undefined ? null : toRun(row);
      }),
    close: (tenant, runId) => guarded(() => closeTx.immediate(tenant, runId, clock())),
    list: (query) =>
      guarded(() => {
        const params: ListParams = {
          tenant: query.tenant,
          key_id: query.keyId,
          state: query.state,
          // No position: after every run (activity times are epoch ms, far below the largest safe integer).
          after_ms: query.after?.lastActivityAtMs ?? Number.MAX_SAFE_INTEGER,
          after_id: query.after?.runId ?? '',
          limit: Math.max(0, Math.trunc(query.limit)),
        };
        return (query.keyId === null ? listAll : listByKey).all(params).map(toRun);
      }),
    countActive: (tenant, keyId) => guarded(() => countActive.get(tenant, keyId, clock())?.active ?? 0),
    countActiveAll: () => guarded(() => countAllActive.get(clock())?.active ?? 0),
    children: (tenant, parentRunId) => guarded(() => tree.children(tenant, parentRunId)),
    ...createSqliteRunLimits(db, clock),
  };
}
