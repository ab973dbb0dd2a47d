// Test helpers that read the ledger of a running test server.
import type { ScopeView } from '../../src/ledger/index.js';
import type { TestRuncap } from './runcap.js';

/** The run scope's counters (limit from the run record). */
export async function runView(runcap: TestRuncap, runId: string, tenant = 'default'): Promise<ScopeView> {
  const run = await runcap.store.runs.get(tenant, runId);
  if (!run) throw new Error(`no run ${runId}`);
  const [view] = await runcap.store.ledger.view(tenant, [
    { type: 'run', id: runId, window: 'none', limitMicros: run.limitMicros, mode: 'hard_gate' },
  ]);
  if (!view) throw new Error('no view');
  return view;
}

/** A decision record, after background writes have landed. */
export async function decisionOf(runcap: TestRuncap, id: string): Promise<Record<string, unknown>> {
  await runcap.server.deps.tasks.drain(5_000);
  const decision = await runcap.store.decisions.get(id);
  if (!decision) throw new Error(`no decision ${id}`);
  return decision.record as Record<string, unknown>;
}
