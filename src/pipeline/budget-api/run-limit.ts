// PATCH /budget/runs/{id} (docs/design.md §12): raise or lower a run's ceiling. The run's principal
// may set any positive amount up to the tenant maximum, the admin any positive amount. A blocked
// run resumes on its next call; a ceiling below what is committed + reserved blocks further
// calls and never undoes spent money (no counter moves). Every change is recorded: who, when,
// from, to.
import { RuncapError, invalidRequest } from '../../errors.js';
import type { RunRecord } from '../../ledger/index.js';
import { formatUsd } from '../../money/micros.js';
import type { Caller } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';
import { tenantPolicy } from '../tenant-policy.js';
import { notFound } from './access.js';
import { usdParam, type PatchRunBody } from './input.js';
import { runReport } from './runs.js';
import { storeCall } from './store-call.js';

/** Who a change is recorded as: the key id of the run's principal, or "admin". */
export const ADMIN_ACTOR = 'admin';

export async function patchRun(
  deps: PipelineDeps,
  caller: Caller,
  run: RunRecord,
  body: PatchRunBody,
): Promise<Record<string, unknown>> {
  const tenant = tenantPolicy(deps, run.tenant);
  const limitMicros = usdParam(body.limit_usd, 'limit_usd');
  if (limitMicros === 0) throw invalidRequest('limit_usd must be above zero; close the run to stop it.', 'limit_usd');
  if (!caller.admin && limitMicros > tenant.run.maxLimitMicros) {
    throw new RuncapError(
      'run_budget_above_max',
      `limit_usd ${body.limit_usd} is above this tenant's maximum run budget of ${formatUsd(tenant.run.maxLimitMicros)} USD; only the admin may go beyond it.`,
      { param: 'limit_usd' },
    );
  }
  const changedBy = caller.admin ? ADMIN_ACTOR : caller.principal.keyId;
  const outcome = await storeCall(deps, 'set_run_limit', () =>
    deps.store.runs.setLimit(run.tenant, run.runId, limitMicros, changedBy),
  );
  if (outcome.kind === 'not_found') throw notFound('run', run.runId);
  if (outcome.kind === 'closed') {
    throw new RuncapError('run_closed', `Run "${run.runId}" is closed; its ceiling can no longer change.`, {
      param: 'id',
    });
  }
  const { change } = outcome;
  const direction =
    change.toMicros > change.fromMicros ? 'raise' : change.toMicros < change.fromMicros ? 'lower' : 'unchanged';
  deps.metrics.runLimitChanges.inc({ direction, by: caller.admin ? 'admin' : 'owner' });
  deps.logger.info(
    {
      run_id: run.runId,
      tenant: run.tenant,
      changed_by: changedBy,
      from_usd: formatUsd(change.fromMicros),
      to_usd: formatUsd(change.toMicros),
    },
    'run ceiling changed',
  );
  return runReport(deps, caller, outcome.run);
}
