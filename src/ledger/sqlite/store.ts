// openSqliteStore: one SQLite file holding the ledger, runs, decisions and spend, opened
// and closed together (docs/design.md §3.4, embedded single-node backend). Wiring only.
import { openDatabase, type SqliteSynchronous } from './db.js';
import { createGroupCommit } from './group-commit.js';
import { createSqliteLedger } from './ledger.js';
import { createSqliteDecisions, createSqliteSpend } from './records.js';
import { createSqliteRuns } from './runs.js';
import { createSqliteChains } from './chains.js';
import { createSqliteRetention } from './retention.js';
import type { AlertThresholds, Store } from '../records.js';
import { createSqliteAlerts } from './alerts.js';

export interface SqliteStoreOptions {
  /** Database file (its folder is created), or ':memory:' for a throwaway store. */
  readonly path: string;
  /** NORMAL (default) or FULL; see docs/ledger.md for what each survives. */
  readonly synchronous?: SqliteSynchronous;
  /** Time source in epoch ms (tests inject one); default Date.now. */
  readonly clock?: () => number;
  /** A live reservation expires once expiresAt + skewToleranceMs <= now (default 5000). */
  readonly skewToleranceMs?: number;
  /** How long a write waits for another process's lock (default 5000). */
  readonly busyTimeoutMs?: number;
  /** Failures of background writes (decision records are written behind; see records.ts). */
  readonly onBackgroundError?: (error: unknown) => void;
  /** Threshold alerts per tenant, in basis points (docs/design.md §12); default: none. */
  readonly alertThresholds?: AlertThresholds;
}

export const DEFAULT_SKEW_TOLERANCE_MS = 5_000;

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const clock = options.clock ?? Date.now;
  const skewToleranceMs = options.skewToleranceMs ?? DEFAULT_SKEW_TOLERANCE_MS;
  if (!Number.isSafeInteger(skewToleranceMs) || skewToleranceMs < 0) {
    throw new Error(`skewToleranceMs must be a non-negative integer, got ${skewToleranceMs}`);
  }
  const db = openDatabase({
    path: options.path,
    ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  // Every write of a call (run, reserve, settlement, chains, decision records) joins one batch per turn.
  const group = createGroupCommit(db);
  const chains = createSqliteChains(db, clock, group);
  // Chains are kept for the same retention window as decision records, and pruned with them.
  const decisions = createSqliteDecisions(db, group, options.onBackgroundError, (beforeMs) => chains.prune(beforeMs));
  const closeDb = (): void => {
    if (!db.open) return;
    try {
      group.flush();
      decisions.flush();
    } finally {
      db.close();
    }
  };
  const alerts = createSqliteAlerts(db, clock, options.alertThresholds ?? (() => []));
  const ledger = createSqliteLedger(db, { clock, skewToleranceMs, close: closeDb, group, alerts });
  return {
    ledger,
    runs: createSqliteRuns(db, clock, group),
    retention: createSqliteRetention(db),
    decisions,
    spend: createSqliteSpend(db),
    chains,
    alerts: alerts.store,
    close: () => ledger.close(),
  };
}
