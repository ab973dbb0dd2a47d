// The runaway brakes of docs/design.md §12 as rules over stored state: the spend-velocity window
// (per-second buckets of a run's committed + reserved spend) and the loop brake's repeat count.
// Pure; both backends read the state, call these (the Redis Lua mirrors them), and write only
// when nothing refuses. The brakes follow the run's enforcement mode: advisory runs are never
// refused, actuals-only runs count committed spend only (they hold nothing).
import type { Micros } from '../money/micros.js';
import type { EnforcementMode } from './types.js';

/** The trailing window of the velocity brake. */
export const VELOCITY_WINDOW_MS = 60_000;
/** Spend is attributed to the second its reservation was made. */
export const VELOCITY_BUCKET_MS = 1_000;

export interface VelocityBucket {
  /** Start of the bucket (a multiple of VELOCITY_BUCKET_MS). */
  readonly startMs: number;
  readonly micros: Micros;
}

/** The bucket a reservation made at nowMs counts in. */
export function velocityBucket(nowMs: number): number {
  return Math.floor(nowMs / VELOCITY_BUCKET_MS) * VELOCITY_BUCKET_MS;
}

/**
 * The oldest bucket still in the window at nowMs: every bucket that overlaps (now - window, now].
 * The window thus spans between 60 and 61 seconds, never less, so the brake errs on the slow side.
 */
export function oldestVelocityBucket(nowMs: number): number {
  return velocityBucket(nowMs) - VELOCITY_WINDOW_MS;
}

/** Committed + reserved spend in the window at nowMs. */
export function velocitySpent(buckets: readonly VelocityBucket[], nowMs: number): Micros {
  const oldest = oldestVelocityBucket(nowMs);
  let spent = 0;
  for (const bucket of buckets) if (bucket.startMs >= oldest) spent += bucket.micros;
  return spent;
}

/** Whether spending `amountMicros` more now would exceed the per-window limit. */
export function velocityBlocks(mode: EnforcementMode, spentMicros: Micros, amountMicros: Micros, limitMicros: Micros) {
  switch (mode) {
    case 'hard_gate':
    case 'soft_gate':
      return spentMicros + amountMicros > limitMicros;
    case 'actuals_only':
      return spentMicros >= limitMicros;
    case 'advisory_estimate':
      return false;
  }
}

/**
 * How long until the hold would fit, if nothing but time changes (buckets leave the window one
 * by one); null when it never can (a hold above the limit itself). Holds still live may settle
 * lower and make room sooner; a retry then simply succeeds earlier than promised.
 */
export function velocityRetryAfterMs(
  mode: EnforcementMode,
  buckets: readonly VelocityBucket[],
  nowMs: number,
  amountMicros: Micros,
  limitMicros: Micros,
): number | null {
  const oldest = oldestVelocityBucket(nowMs);
  const inWindow = buckets.filter((bucket) => bucket.startMs >= oldest).sort((a, b) => a.startMs - b.startMs);
  let remaining = velocitySpent(inWindow, nowMs);
  if (!velocityBlocks(mode, remaining, amountMicros, limitMicros)) return 0;
  for (const bucket of inWindow) {
    remaining -= bucket.micros;
    if (!velocityBlocks(mode, remaining, amountMicros, limitMicros)) {
      // The bucket leaves the window once it no longer overlaps (now - window, now].
      return Math.max(0, bucket.startMs + VELOCITY_BUCKET_MS + VELOCITY_WINDOW_MS - nowMs);
    }
  }
  return null;
}

/** The loop brake's state for one run: the last step seen and how many times in a row it repeated. */
export interface StepState {
  readonly stepHash: string;
  readonly repeats: number;
}

/** Repeats in a row after a call with `stepHash`: 0 for a new step, one more for the same. */
export function nextRepeats(previous: StepState | null, stepHash: string): number {
  return previous !== null && previous.stepHash === stepHash ? previous.repeats + 1 : 0;
}

/** More than `maxRepeats` repeats in a row stop the call (never in an advisory run). */
export function loopBlocks(mode: EnforcementMode, repeats: number, maxRepeats: number): boolean {
  return mode !== 'advisory_estimate' && repeats > maxRepeats;
}
