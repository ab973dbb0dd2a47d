// Group commit on SQLite (docs/ledger.md "Group commit"): the write operations queued during one
// event-loop turn (or, when the turn is long, during its first millisecond) run in ONE write
// transaction (BEGIN IMMEDIATE ... COMMIT), each inside its own savepoint, and each caller's
// promise settles with its own result only after that transaction committed. So a reserve is
// still all-or-nothing and durable before its caller sees it, one operation's failure (an illegal
// transition, a thrown check) undoes only its own savepoint, and a turn of N calls pays one commit
// instead of N. Bookkeeping written behind (decision records) joins the same transaction.
// Owns the batching only; what an operation writes is its caller's.
import type Database from 'better-sqlite3';
import { toLedgerError } from './db.js';
import { LedgerError } from '../types.js';

/** How long the oldest queued operation may wait for later ones before its batch closes early. */
const MAX_WAIT_MS = 1;

interface QueuedOp {
  readonly step: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Bookkeeping that joins every batch: `write` runs in its own savepoint, after the operations. */
export interface BatchWriter {
  /** Whether anything is queued (a batch is scheduled for it when `wake` is called). */
  pending(): boolean;
  /** Writes what is queued; returns what to do once the transaction committed. */
  write(): () => void;
  /** The batch's transaction (or this writer's savepoint) failed: keep the queue, retry later. */
  failed(error: unknown): void;
}

export interface GroupCommit {
  /** Runs `step` in the turn's shared write transaction (its own savepoint); settles after COMMIT. */
  run<T>(step: () => T): Promise<T>;
  /** Schedules a batch for a writer's queued bookkeeping, with or without operations. */
  wake(): void;
  /** Runs what is queued now, synchronously (close; reads that must see queued bookkeeping). */
  flush(): void;
  addWriter(writer: BatchWriter): void;
}

export function createGroupCommit(db: Database.Database): GroupCommit {
  let queue: QueuedOp[] = [];
  const writers: BatchWriter[] = [];
  let scheduled = false;
  // Called inside another transaction function it is a savepoint; `.immediate` alone, a transaction.
  const savepoint = db.transaction((step: () => unknown) => step());

  interface Batch {
    readonly ops: readonly QueuedOp[];
    readonly writing: readonly BatchWriter[];
    readonly outcomes: { ok: boolean; value: unknown }[];
    readonly afterCommit: (() => void)[];
    readonly failedWriters: { writer: BatchWriter; error: unknown }[];
  }
  const writeBatch = db.transaction((batch: Batch) => {
    const { ops, outcomes } = batch;
    for (let i = 0; i < ops.length; i++) {
      try {
        outcomes.push({ ok: true, value: savepoint((ops[i] as QueuedOp).step) });
      } catch (error) {
        // SQLite rolled the whole transaction back (I/O error, full disk): nothing of the batch stands.
        if (!db.inTransaction) throw error;
        outcomes.push({ ok: false, value: error });
      }
    }
    for (const writer of batch.writing) {
      try {
        batch.afterCommit.push(savepoint(() => writer.write()) as () => void);
      } catch (error) {
        if (!db.inTransaction) throw error;
        batch.failedWriters.push({ writer, error });
      }
    }
  });

  const flush = (): void => {
    scheduled = false;
    const ops = queue;
    queue = [];
    const writing = writers.filter((writer) => writer.pending());
    if (ops.length === 0 && writing.length === 0) return;
    if (!db.open) {
      const closed = new LedgerError('ledger_unavailable', 'the store is closed');
      for (const op of ops) op.reject(closed);
      return;
    }
    const only = ops.length === 1 && writing.length === 0 ? (ops[0] as QueuedOp) : null;
    if (only !== null) {
      // One operation alone: its own transaction, no savepoint needed (a failure undoes only it).
      let value: unknown;
      try {
        value = savepoint.immediate(only.step);
      } catch (error) {
        only.reject(toLedgerError(error));
        return;
      }
      only.resolve(value);
      return;
    }
    const batch: Batch = { ops, writing, outcomes: [], afterCommit: [], failedWriters: [] };
    try {
      writeBatch.immediate(batch);
    } catch (error) {
      const failure = toLedgerError(error);
      for (const op of ops) op.reject(failure);
      for (const writer of writing) writer.failed(failure);
      return;
    }
    for (const done of batch.afterCommit) done();
    for (const { writer, error } of batch.failedWriters) writer.failed(error);
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as QueuedOp;
      const outcome = batch.outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(toLedgerError(outcome.value));
    }
  };

  // A batch closes at the end of the event-loop turn (setImmediate), where it joins whatever
  // else is queued, or earlier: when an operation arrives while the oldest queued one has already
  // waited MAX_WAIT_MS, the batch closes as the task that queued it ends (a microtask). Light
  // turns (many small calls) still share one commit; a reserve never waits behind a turn of heavy
  // callbacks (other calls' parsing and counting: an agent loop's time before forwarding was 3-7x
  // with setImmediate alone).
  const wake = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  let oldestAtMs = 0;
  let closing = false;
  const closeTask = (): void => {
    closing = false;
    flush();
  };

  return {
    run: <T>(step: () => T): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        queue.push({ step, resolve: resolve as (value: unknown) => void, reject });
        if (queue.length === 1) oldestAtMs = performance.now();
        else if (!closing && performance.now() - oldestAtMs >= MAX_WAIT_MS) {
          closing = true;
          queueMicrotask(closeTask);
        }
        wake();
      }),
    wake,
    flush,
    addWriter: (writer) => void writers.push(writer),
  };
}
