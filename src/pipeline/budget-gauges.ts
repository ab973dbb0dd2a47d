// Budget gauges sampled outside the request path: a run's utilisation when a call is
// admitted, and the active-run count the sweeper samples from the ledger. Labels stay
// bounded: never a run, user or key id.
import type { ScopeView } from '../ledger/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PipelineDeps } from './deps.js';

const ACTIVE_RUNS = 'runcap_active_runs';

/** Observes the run scope's (committed + reserved) / limit after a hold (a ratio, not money). */
export function observeRunUtilization(metrics: Metrics, views: readonly ScopeView[]): void {
  const run = views.find((view) => view.type === 'run');
  if (!run || run.limitMicros === null || run.limitMicros <= 0) return;
  metrics.runUtilization.observe((run.committedMicros + run.reservedMicros) / run.limitMicros);
}

/**
 * Sets runcap_active_runs from the ledger (all tenants, one indexed count). A backend
 * without a cheap count gets the gauge removed, so it is absent rather than a wrong 0.
 */
export async function sampleActiveRuns(deps: Pick<PipelineDeps, 'store' | 'metrics'>): Promise<void> {
  const count = deps.store.runs.countActiveAll;
  if (count === undefined) {
    deps.metrics.registry.removeSingleMetric(ACTIVE_RUNS);
    return;
  }
  deps.metrics.activeRuns.set(await count.call(deps.store.runs));
}
