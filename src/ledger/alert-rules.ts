// Threshold alerts' arithmetic (docs/design.md §12), shared by both backends (the Redis scripts
// repeat it in lua/alerts.lua): the micro-USD a threshold of a ceiling stands for, in exact
// integer arithmetic (no float on a money path). Pure.
import type { Micros } from '../money/micros.js';

export const BASIS_POINTS = 10_000;

/** ceil(limit * bp / 10,000), exact for any safe-integer limit (the split keeps every term small). */
export function thresholdMicros(limitMicros: Micros, thresholdBp: number): Micros {
  const whole = Math.floor(limitMicros / BASIS_POINTS);
  const rest = limitMicros - whole * BASIS_POINTS;
  return whole * thresholdBp + Math.ceil((rest * thresholdBp) / BASIS_POINTS);
}

/** The thresholds (basis points) that `committed` has reached for a ceiling; none for a zero ceiling. */
export function reachedThresholds(
  limitMicros: Micros,
  committedMicros: Micros,
  thresholdsBp: readonly number[],
): number[] {
  if (limitMicros <= 0) return [];
  return thresholdsBp.filter((bp) => committedMicros >= thresholdMicros(limitMicros, bp));
}
