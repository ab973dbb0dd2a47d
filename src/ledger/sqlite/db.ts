// Opens the SQLite ledger file: creates its folder, sets WAL, synchronous and the busy
// timeout, then migrates; maps driver failures to LedgerError. Owns connection settings
// only; no ledger logic here.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.js';
import { LedgerError } from '../types.js';

export type SqliteSynchronous = 'NORMAL' | 'FULL';

export interface SqliteDatabaseOptions {
  /** File path, or ':memory:'. The parent folder is created when missing. */
  readonly path: string;
  /** NORMAL (default): a process crash loses nothing; a power loss may lose the last commits. FULL: neither. */
  readonly synchronous?: SqliteSynchronous;
  /** How long a writer waits for another process's write lock before failing (default 5000). */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export function openDatabase(options: SqliteDatabaseOptions): Database.Database {
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new Error(`synchronous must be NORMAL or FULL, got ${String(synchronous)}`);
  }
  const inMemory = options.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const db = new Database(options.path, { timeout: busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    if (!inMemory) enableWal(db, busyTimeoutMs);
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Switching to WAL needs a moment of exclusive access; two processes opening a new
 * file at once can see SQLITE_BUSY here even with a busy timeout, so retry briefly.
 */
function enableWal(db: Database.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`could not enable WAL (journal_mode is ${String(mode)})`);
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
      sleepSync(20);
    }
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs a synchronous database step as a promise. LedgerErrors pass through; any other
 * failure (busy past the timeout, I/O error, closed handle) becomes ledger_unavailable
 * so callers apply the failure policy of docs/design.md §3.4 instead of seeing a driver error.
 */
export function guarded<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(toLedgerError(error));
  }
}

export function toLedgerError(error: unknown): LedgerError {
  if (error instanceof LedgerError) return error;
  const wrapped = new LedgerError(
    'ledger_unavailable',
    `sqlite ledger: ${error instanceof Error ? error.message : String(error)}`,
  );
  wrapped.cause = error;
  return wrapped;
}
