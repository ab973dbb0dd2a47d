// The named runs this instance opened, so a later call of the same run can skip opening it
// (docs/ledger-redis.md "One round trip per call"). Only used with a ledger that checks the run
// inside the reserve (Ledger.checksRuns): that check, not this cache, decides whether the run is
// still the caller's, open, active and at the ceiling remembered here. Holds no money.
import { setBounded } from '../bounded-map.js';
import type { AncestorRun, RunRecord } from '../ledger/index.js';

/** A run as a call uses it: its record and its ancestors (parent first). */
export interface KnownRun extends RunRecord {
  readonly ancestors: readonly AncestorRun[];
}

/** Runs remembered per process; the oldest is dropped beyond this. */
const LIMIT = 20_000;

export interface KnownRuns {
  /** The run as last opened, when `keyId` opened it and `parentRunId` (as sent, null = none) names its parent. */
  get(tenant: string, runId: string, keyId: string, parentRunId: string | null): KnownRun | undefined;
  set(tenant: string, run: KnownRun): void;
  forget(tenant: string, runId: string): void;
}

export function createKnownRuns(limit = LIMIT): KnownRuns {
  const runs = new Map<string, KnownRun>();
  const keyOf = (tenant: string, runId: string): string => `${runId}\u0000${tenant}`;
  return {
    get(tenant, runId, keyId, parentRunId) {
      const run = runs.get(keyOf(tenant, runId));
      if (run === undefined || run.keyId !== keyId) return undefined;
      // A parent named on a later call must be the run's own; anything else goes through opening (its refusal).
      if (parentRunId !== null && parentRunId !== run.parentRunId) return undefined;
      return run;
    },
    set(tenant, run) {
      setBounded(runs, keyOf(tenant, run.runId), run, limit);
    },
    forget(tenant, runId) {
      runs.delete(keyOf(tenant, runId));
    },
  };
}
