// The runaway brakes on SQLite (docs/design.md §12): the loop brake's step state and the velocity
// buckets, read and written inside the reserve transaction of ledger.ts, and the velocity side
// of a settlement (settle.ts). The rules are ../brake-rules.ts's; a request without brakes, or a
// reservation made without the velocity brake, touches none of these tables.
import type Database from 'better-sqlite3';
import {
  loopBlocks,
  nextRepeats,
  oldestVelocityBucket,
  velocityBlocks,
  velocityBucket,
  velocityRetryAfterMs,
  velocitySpent,
  type StepState,
  type VelocityBucket,
} from '../brake-rules.js';
import { scopeHolds } from '../scope-rules.js';
import type { BrakeVerdict, ReservedScope, ReserveRequest } from '../types.js';

export function createSqliteBrakes(db: Database.Database) {
  const selectBuckets = db.prepare<[string, string, number], VelocityBucket>(
    `SELECT bucket_ms AS startMs, micros FROM run_velocity WHERE tenant = ? AND run_id = ? AND bucket_ms >= ?`,
  );
  const pruneBuckets = db.prepare<[string, string, number]>(
    'DELETE FROM run_velocity WHERE tenant = ? AND run_id = ? AND bucket_ms < ?',
  );
  const addToBucket = db.prepare<[string, string, number, number]>(
    `INSERT INTO run_velocity (tenant, run_id, bucket_ms, micros) VALUES (?, ?, ?, ?)
     ON CONFLICT (tenant, run_id, bucket_ms) DO UPDATE SET micros = micros + excluded.micros`,
  );
  /** A settlement moves only a bucket still kept; one past the window is gone and stays gone. */
  const moveBucket = db.prepare<[number, string, string, number]>(
    'UPDATE run_velocity SET micros = micros + ? WHERE tenant = ? AND run_id = ? AND bucket_ms = ?',
  );
  const selectStep = db.prepare<[string, string], StepState>(
    'SELECT step_hash AS stepHash, repeats FROM run_steps WHERE tenant = ? AND run_id = ?',
  );
  const upsertStep = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO run_steps (tenant, run_id, step_hash, repeats, updated_at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, run_id) DO UPDATE SET step_hash = excluded.step_hash, repeats = excluded.repeats,
       updated_at_ms = excluded.updated_at_ms`,
  );

  const runSpecs = (request: ReserveRequest) => request.scopes.filter((spec) => spec.type === 'run');

  return {
    /** The loop brake, judged before the ceilings: the verdict, or the repeats to record on admission. */
    checkLoop(request: ReserveRequest): { readonly verdict: BrakeVerdict | null; readonly repeats: number | null } {
      const loop = request.brakes?.loop;
      if (loop === undefined) return { verdict: null, repeats: null };
      const repeats = nextRepeats(selectStep.get(request.tenant, loop.runId) ?? null, loop.stepHash);
      const mode = runSpecs(request).find((spec) => spec.id === loop.runId)?.mode ?? 'hard_gate';
      if (!loopBlocks(mode, repeats, loop.maxRepeats)) return { verdict: null, repeats };
      return {
        verdict: { kind: 'loop', runId: loop.runId, repeats, maxRepeats: loop.maxRepeats },
        repeats,
      };
    },

    /**
     * The velocity brake over every run scope of the request (the run and its ancestors), judged
     * after the ceilings. Of several full windows, the one that frees last is reported.
     */
    checkVelocity(request: ReserveRequest, nowMs: number): BrakeVerdict | null {
      const velocity = request.brakes?.velocity;
      if (velocity === undefined) return null;
      let worst: Extract<BrakeVerdict, { kind: 'velocity' }> | null = null;
      for (const spec of runSpecs(request)) {
        const buckets = selectBuckets.all(request.tenant, spec.id, oldestVelocityBucket(nowMs));
        const spentMicros = velocitySpent(buckets, nowMs);
        if (!velocityBlocks(spec.mode, spentMicros, request.amountMicros, velocity.limitMicros)) continue;
        const retryAfterMs = velocityRetryAfterMs(
          spec.mode,
          buckets,
          nowMs,
          request.amountMicros,
          velocity.limitMicros,
        );
        const rank = retryAfterMs ?? Number.POSITIVE_INFINITY;
        if (worst === null || rank > (worst.retryAfterMs ?? Number.POSITIVE_INFINITY)) {
          worst = { kind: 'velocity', runId: spec.id, limitMicros: velocity.limitMicros, spentMicros, retryAfterMs };
        }
      }
      return worst;
    },

    /**
     * An admitted hold: the step state, and the hold counted in this second's bucket of every run
     * scope that holds it (older buckets pruned). Returns the bucket the reservation records.
     */
    record(request: ReserveRequest, repeats: number | null, nowMs: number): number | null {
      const loop = request.brakes?.loop;
      if (loop !== undefined && repeats !== null) {
        upsertStep.run(request.tenant, loop.runId, loop.stepHash, repeats, nowMs);
      }
      if (request.brakes?.velocity === undefined) return null;
      const bucket = velocityBucket(nowMs);
      for (const spec of runSpecs(request)) {
        pruneBuckets.run(request.tenant, spec.id, oldestVelocityBucket(nowMs));
        addToBucket.run(request.tenant, spec.id, bucket, scopeHolds(spec) ? request.amountMicros : 0);
      }
      return bucket;
    },

    /** A settlement's counter moves, mirrored into the bucket of each of the reservation's run scopes. */
    settle(
      tenant: string,
      bucketMs: number,
      scopes: readonly ReservedScope[],
      committedDelta: number,
      releasedHold: number,
    ): void {
      for (const scope of scopes) {
        if (scope.type !== 'run') continue;
        const delta = committedDelta - (scope.held ? releasedHold : 0);
        if (delta !== 0) moveBucket.run(delta, tenant, scope.id, bucketMs);
      }
    },
  };
}

export type SqliteBrakes = ReturnType<typeof createSqliteBrakes>;
