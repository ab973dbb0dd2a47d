// Decision records (docs/design.md §5) and spend attribution (docs/design.md §8 /budget/spend) on SQLite.
// Decision records are opaque JSON; spend reads settled reservation rows, never writes.
import type Database from 'better-sqlite3';
import { guarded } from './db.js';
import type { GroupCommit } from './group-commit.js';
import { createRecordQueue } from '../record-queue.js';
import { LedgerError } from '../types.js';
import {
  SPEND_GROUP_FIELD,
  type DecisionStore,
  type SpendGroupBy,
  type SpendRow,
  type SpendStore,
  type StoredDecision,
} from '../records.js';

interface DecisionRow {
  readonly id: string;
  readonly tenant: string;
  readonly key_id: string;
  readonly run_id: string | null;
  readonly created_at_ms: number;
  readonly record: string;
  /** The settlement's keys, laid over the record when read (migrations/010); null before any. */
  readonly settlement: string | null;
}

/** Keys json_set may address unquoted; any other patch takes the read-merge-write path. */
const PATCH_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_PATCH_KEYS = 32;
const MAX_PATCH_STATEMENTS = 64;
const MAX_FAILED_FLUSHES = 5;
const RETRY_FLUSH_MS = 200;

function parseRecord(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return { ...parsed };
}

function toDecision(row: DecisionRow): StoredDecision {
  const record = parseRecord(row.record);
  if (row.settlement !== null) Object.assign(record, parseRecord(row.settlement));
  return {
    id: row.id,
    tenant: row.tenant,
    keyId: row.key_id,
    ...(row.run_id === null ? {} : { runId: row.run_id }),
    createdAtMs: row.created_at_ms,
    record,
  };
}

/**
 * Decision records are bookkeeping made twice per call (at the decision and at the
 * settlement), so they are written behind, in the group commit's transactions
 * (group-commit.ts): a record waits up to HOLD_MS (../record-queue.ts) for its settlement and
 * goes out with it as one row; a record older than that, or a later settlement, goes out in
 * the next batch. Reads, prunes and close() flush everything first, so a reader of this
 * process never misses a write; a crash can lose the records of the last HOLD_MS (money is
 * never written behind: a ledger operation settles only after its transaction committed).
 */
export function createSqliteDecisions(
  db: Database.Database,
  group: GroupCommit,
  onError: (error: unknown) => void = () => undefined,
  alsoPrune: (beforeMs: number) => void = () => undefined,
): DecisionStore & { flush(): void } {
  const upsert = db.prepare<[string, string, string, string | null, number, string, string | null]>(
    `INSERT INTO decisions (id, tenant, key_id, run_id, created_at_ms, record, settlement) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, key_id = excluded.key_id, run_id = excluded.run_id,
       created_at_ms = excluded.created_at_ms, record = excluded.record, settlement = excluded.settlement`,
  );
  const select = db.prepare<[string], DecisionRow>(
    'SELECT id, tenant, key_id, run_id, created_at_ms, record, settlement FROM decisions WHERE id = ?',
  );
  // Oldest first; `(created, id) > (after)` is an index range on decisions_by_run (migrations/007).
  const byRun = db.prepare<
    [{ tenant: string; run_id: string; after_ms: number; after_id: string; limit: number }],
    DecisionRow
  >(
    `SELECT id, tenant, key_id, run_id, created_at_ms, record, settlement FROM decisions INDEXED BY decisions_by_run
     WHERE tenant = @tenant AND run_id = @run_id AND (created_at_ms, id) > (@after_ms, @after_id)
     ORDER BY created_at_ms, id LIMIT @limit`,
  );
  const selectSettlement = db.prepare<[string], { settlement: string | null }>(
    'SELECT settlement FROM decisions WHERE id = ?',
  );
  const updateSettlement = db.prepare<[string, string]>('UPDATE decisions SET settlement = ? WHERE id = ?');
  const prune = db.prepare<[number]>('DELETE FROM decisions WHERE created_at_ms < ?');

  /**
   * Merges a patch into a stored record's settlement (the small document laid over the record
   * when read). Plain keys are set with one json_set statement per key set (no read, no
   * re-serialising in JS); anything else takes read-merge-write. Either way inside the batch's
   * transaction; the record itself is not rewritten.
   */
  const patchStatements = new Map<string, Database.Statement<unknown[]>>();
  const applyPatch = (id: string, patch: Readonly<Record<string, unknown>>): void => {
    const keys = Object.keys(patch);
    const values = keys.map((key) => JSON.stringify(patch[key]));
    if (
      keys.length > 0 &&
      keys.length <= MAX_PATCH_KEYS &&
      keys.every((key) => PATCH_KEY.test(key)) &&
      values.every((v) => typeof v === 'string')
    ) {
      const signature = keys.join(',');
      let statement = patchStatements.get(signature);
      if (statement === undefined) {
        statement = db.prepare<unknown[]>(
          `UPDATE decisions SET settlement = json_set(coalesce(settlement, '{}'), ${keys.map((key) => `'$.${key}', json(?)`).join(', ')}) WHERE id = ?`,
        );
        if (patchStatements.size < MAX_PATCH_STATEMENTS) patchStatements.set(signature, statement);
      }
      statement.run(...values, id);
      return;
    }
    const row = selectSettlement.get(id);
    if (row === undefined) return; // pruned or never stored: nothing to settle
    updateSettlement.run(JSON.stringify({ ...parseRecord(row.settlement ?? '{}'), ...patch }), id);
  };

  /** Queued writes: a record waits for its settlement (../record-queue.ts), a settlement is ready at once. */
  const queue = createRecordQueue<string>(() => group.wake());
  let failedFlushes = 0;
  /** After a failed write, the queue waits RETRY_FLUSH_MS before it joins a batch again. */
  let waiting = false;
  let lastFailure: unknown = null;
  /** The next write takes every queued record, not only the ready ones (a reader, a prune, close). */
  let takeAll = false;

  const writeQueued = (): void => {
    for (const [id, write] of queue.take(takeAll)) {
      if (write.decision !== null && write.encoded !== null) {
        // A settlement that arrived before the write goes out in the same row, as its settlement.
        const settled = Object.keys(write.patch).length > 0 ? JSON.stringify(write.patch) : null;
        const { tenant, keyId, runId, createdAtMs } = write.decision;
        upsert.run(id, tenant, keyId, runId ?? null, createdAtMs, write.encoded, settled);
      } else {
        applyPatch(id, write.patch);
      }
    }
  };

  /**
   * On failure (another process holding the lock past the busy timeout, a full disk) the
   * queue is kept and retried, up to MAX_FAILED_FLUSHES times, then dropped and reported.
   */
  group.addWriter({
    pending: () => !waiting && (takeAll ? queue.size > 0 : queue.due()),
    write: () => {
      writeQueued();
      return () => {
        queue.written();
        failedFlushes = 0;
      };
    },
    failed: (error) => {
      lastFailure = error;
      failedFlushes += 1;
      if (failedFlushes >= MAX_FAILED_FLUSHES) {
        const lost = queue.drop();
        failedFlushes = 0;
        lastFailure = new LedgerError(
          'ledger_unavailable',
          `${lost} decision record writes dropped after ${MAX_FAILED_FLUSHES} failed attempts: ${(error as Error).message}`,
        );
      } else if (!waiting) {
        waiting = true;
        setTimeout(() => {
          waiting = false;
          group.wake();
        }, RETRY_FLUSH_MS).unref();
      }
      onError(lastFailure);
    },
  });

  /** Writes every queued record now (with any queued ledger operations); throws when that write failed. */
  const flush = (): void => {
    if (queue.size === 0 || !db.open) return;
    waiting = false;
    lastFailure = null;
    takeAll = true;
    try {
      group.flush();
    } finally {
      takeAll = false;
    }
    if (lastFailure !== null) throw lastFailure;
  };
  /** Writes are checked when queued, so one bad record fails its own call, not its batch. */
  const enqueue = (id: string, decision: StoredDecision | null, patch: Readonly<Record<string, unknown>>): void => {
    if (!db.open) throw new LedgerError('ledger_unavailable', 'the store is closed');
    if (decision !== null) {
      // Serialised once, here: a record that cannot be fails its own call, and the write reuses the text.
      queue.put(id, decision, JSON.stringify(decision.record));
      return;
    }
    JSON.stringify(patch);
    queue.patch(id, patch);
    group.wake();
  };

  return {
    flush,
    put: (decision) => guarded(() => enqueue(decision.id, decision, {})),
    get: (id) =>
      guarded(() => {
        flush();
        const row = select.get(id);
        return row === undefined ? null : toDecision(row);
      }),
    patch: (id, patch) => guarded(() => enqueue(id, null, patch)),
    listByRun: (query) =>
      guarded(() => {
        flush();
        return byRun
          .all({
            tenant: query.tenant,
            run_id: query.runId,
            // No position: before every decision (epoch ms are never negative).
            after_ms: query.after?.createdAtMs ?? -1,
            after_id: query.after?.id ?? '',
            limit: Math.max(0, Math.trunc(query.limit)),
          })
          .map(toDecision);
      }),
    prune: (beforeMs) =>
      guarded(() => {
        flush();
        alsoPrune(beforeMs);
        return prune.run(beforeMs).changes;
      }),
  };
}

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
      run: prepareFor(SPEND_GROUP_FIELD.run, byRun),
      key: prepareFor(SPEND_GROUP_FIELD.key, byRun),
      user: prepareFor(SPEND_GROUP_FIELD.user, byRun),
      team: prepareFor(SPEND_GROUP_FIELD.team, byRun),
      feature: prepareFor(SPEND_GROUP_FIELD.feature, byRun),
      model: prepareFor(SPEND_GROUP_FIELD.model, byRun),
    }) satisfies Record<SpendGroupBy, unknown>;
  const all = variants(false);
  const oneRun = variants(true);

  return {
    spend: (query) =>
      guarded((): SpendRow[] => {
        const runId = query.runId ?? null;
        if (runId !== null && query.tenant === null)
          throw new LedgerError('invalid_scope', 'spend of one run needs its tenant');
        const statement: (typeof all)[SpendGroupBy] | undefined = (runId === null ? all : oneRun)[query.groupBy];
        if (statement === undefined)
          throw new LedgerError('invalid_scope', `cannot group spend by ${String(query.groupBy)}`);
        return statement
          .all({ tenant: query.tenant, key_id: query.keyId, run_id: runId, from_ms: query.fromMs, to_ms: query.toMs })
          .map(({ grp, ...totals }) => ({ group: grp, ...totals }));
      }),
  };
}
