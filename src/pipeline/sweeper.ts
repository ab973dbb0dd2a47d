// The background sweeper: expires holds past their TTL (docs/design.md §3.3; the ledger makes
// each expiry happen exactly once across instances) and prunes decision records, runs,
// reservations and scope rows past the retention window. One pass at a time; stop() waits
// for the current one.
import { formatUsd } from '../money/micros.js';
import type { PipelineDeps } from './deps.js';
import { recordSettlement } from './event-data.js';
import { sampleActiveRuns } from './budget-gauges.js';

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Rows of a kind deleted per ledger transaction, and transactions per pass: a pass never holds the ledger long. */
const PRUNE_BATCH = 500;
const PRUNE_ROUNDS = 200;

export interface Sweeper {
  /** Runs one pass now (also what the timer calls). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export function startSweeper(deps: PipelineDeps, options: { autoStart?: boolean } = {}): Sweeper {
  let current: Promise<void> | null = null;
  let lastPruneMs = 0;

  async function pass(): Promise<void> {
    // The ledger decides with its own clock: Redis TIME (one for every instance), or the clock SQLite was opened with.
    const expired = await deps.store.ledger.expireDue();
    for (const { reservation, charged } of expired) {
      deps.metrics.expiredHolds.inc({ charged: String(charged) });
      if (charged) deps.metrics.expiredUsd.inc(reservation.amountMicros / 1e6);
      else deps.metrics.releasedUsd.inc(reservation.amountMicros / 1e6);
      deps.logger.warn(
        {
          decision_id: reservation.decisionId,
          reservation_id: reservation.id,
          charged,
          amount_usd: formatUsd(reservation.amountMicros),
        },
        charged ? 'hold expired without a result: charged in full' : 'hold expired before it was forwarded: released',
      );
      // The expiry itself is done; a failed record update must not stop the others.
      await recordSettlement(
        deps,
        { tenant: reservation.tenant, keyId: reservation.attribution.keyId, runId: reservation.attribution.runId },
        reservation.decisionId,
        {
          state: 'expired',
          actual_usd: formatUsd(charged ? reservation.amountMicros : 0),
          usage_source: charged ? 'expired' : null,
          settled_at: new Date(deps.clock()).toISOString(),
        },
      );
    }
    const nowMs = deps.clock();
    if (nowMs - lastPruneMs >= PRUNE_EVERY_MS) {
      lastPruneMs = nowMs;
      const cutoffMs = nowMs - deps.config.retentionDays * DAY_MS;
      const pruned = await deps.store.decisions.prune(cutoffMs);
      if (pruned > 0) deps.logger.info({ pruned }, 'pruned decision records past retention');
      await pruneLedger(deps, cutoffMs);
    }
    await sampleActiveRuns(deps);
  }

  const sweep = (): Promise<void> => {
    current ??= pass()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'sweeper pass failed; will retry'))
      .finally(() => {
        current = null;
      });
    return current;
  };

  const timer = options.autoStart === false ? null : setInterval(() => void sweep(), deps.config.sweepIntervalMs);
  timer?.unref();
  if (options.autoStart !== false) void sweep();
  return {
    sweep,
    async stop() {
      if (timer) clearInterval(timer);
      await current;
    },
  };
}

/**
 * Retention of the ledger itself (docs/ledger.md "Retention"): settled reservations, idle
 * runs and dead scope rows past the window, in small batches so calls interleave.
 */
async function pruneLedger(deps: PipelineDeps, cutoffMs: number): Promise<void> {
  const total = { runs: 0, reservations: 0, scopes: 0 };
  for (let round = 0; round < PRUNE_ROUNDS; round++) {
    const pruned = await deps.store.retention.prune(cutoffMs, PRUNE_BATCH);
    total.runs += pruned.runs;
    total.reservations += pruned.reservations;
    total.scopes += pruned.scopes;
    if (pruned.runs < PRUNE_BATCH && pruned.reservations < PRUNE_BATCH && pruned.scopes < PRUNE_BATCH) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (total.runs + total.reservations + total.scopes > 0) deps.logger.info(total, 'pruned ledger rows past retention');
}
