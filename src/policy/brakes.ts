// The runaway brakes a call carries into its reserve (docs/design.md §12): spend velocity when the
// tenant sets run.max_usd_per_minute, the loop brake when it sets run.max_repeated_steps and the
// call has a newest step. Both off by default: then a call carries none and pays nothing. Pure.
import type { TenantPolicy } from '../config/types.js';
import type { RunBrakes } from '../ledger/index.js';

export function runBrakes(tenant: TenantPolicy, runId: string, stepHash: string | null): RunBrakes | undefined {
  const { maxUsdPerMinuteMicros, maxRepeatedSteps } = tenant.run;
  const velocity = maxUsdPerMinuteMicros === null ? undefined : { limitMicros: maxUsdPerMinuteMicros };
  const loop =
    maxRepeatedSteps === null || stepHash === null ? undefined : { runId, stepHash, maxRepeats: maxRepeatedSteps };
  if (velocity === undefined && loop === undefined) return undefined;
  return { ...(velocity ? { velocity } : {}), ...(loop ? { loop } : {}) };
}

/** Whether the loop brake is on: only then does a call's newest step get hashed. */
export function loopBrakeOn(tenant: TenantPolicy): boolean {
  return tenant.run.maxRepeatedSteps !== null;
}
