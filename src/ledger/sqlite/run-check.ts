// The run check of a reserve on SQLite (ReserveRequest.runCheck): for a call whose run the caller
// did not open (it knows the run from an earlier call, src/pipeline/known-runs.ts), the same
// savepoint as the reserve checks what opening it would have found for an active run of the
// caller (runs.ts openStep): still `keyId`'s, open and not idle, and every run scope of the
// request (the run and its ancestors) open with the ceiling the request holds against stored on
// it. Anything else throws LedgerError('run_changed') before a write, and the caller opens the
// run (which refuses or re-admits it exactly as it always did). Moves no money.
import type Database from 'better-sqlite3';
import { touchGranularityMs } from './runs.js';
import type { ReserveRequest } from '../types.js';
import { LedgerError } from '../types.js';

interface CheckedRun {
  readonly key_id: string;
  readonly state: string;
  readonly limit_micros: number;
  readonly last_activity_at_ms: number;
  readonly idle_ttl_ms: number;
}

export function createRunCheck(db: Database.Database): (request: ReserveRequest, nowMs: number) => void {
  const select = db.prepare<[string, string], CheckedRun>(
    'SELECT key_id, state, limit_micros, last_activity_at_ms, idle_ttl_ms FROM runs WHERE tenant = ? AND run_id = ?',
  );
  const touch = db.prepare<[number, string, string]>(
    `UPDATE runs SET last_activity_at_ms = max(last_activity_at_ms, ?) WHERE tenant = ? AND run_id = ?`,
  );
  const changed = (runId: string): LedgerError =>
    new LedgerError('run_changed', `run ${runId} changed since it was opened`);

  return (request, nowMs) => {
    const check = request.runCheck;
    if (check === undefined) return;
    const run = select.get(request.tenant, check.runId);
    if (
      run === undefined ||
      run.key_id !== check.keyId ||
      run.state !== 'open' ||
      !(run.last_activity_at_ms + run.idle_ttl_ms > nowMs)
    ) {
      throw changed(check.runId);
    }
    let ownScope = false;
    for (const spec of request.scopes) {
      if (spec.type !== 'run') continue;
      const scoped = spec.id === check.runId ? run : select.get(request.tenant, spec.id);
      if (scoped === undefined || scoped.state !== 'open' || scoped.limit_micros !== spec.limitMicros) {
        throw changed(check.runId);
      }
      if (spec.id === check.runId) ownScope = true;
    }
    // A request that does not hold against the run it names is not one opening would have made.
    if (!ownScope) throw changed(check.runId);
    // Activity, as opening an active run records it: at the touch granularity, not on every call.
    if (nowMs - run.last_activity_at_ms >= touchGranularityMs(run.idle_ttl_ms)) {
      touch.run(nowMs, request.tenant, check.runId);
    }
  };
}
