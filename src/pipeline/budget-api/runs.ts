// Runs on the budget API (docs/design.md §2, §8): create one with its ceiling and tags, report
// every scope it draws on with its spend by model, close it. Binding and the active-run
// cap are the run store's (../resolve-run.ts); this module only orders and renders.
import { RuncapError, invalidRequest } from '../../errors.js';
import type { RunRecord } from '../../ledger/index.js';
import type { ScopeView } from '../../ledger/index.js';
import { formatUsd } from '../../money/micros.js';
import { buildScopes } from '../../policy/scopes.js';
import type { Caller } from '../../principal.js';
import { renderScope } from '../decision.js';
import type { PipelineDeps } from '../deps.js';
import { tenantPolicy } from '../tenant-policy.js';
import { canSee, keyFacts, notFound } from './access.js';
import type { CreateRunBody } from './input.js';
import { durationParam } from './input.js';
import { storeCall } from './store-call.js';
import { requestedRunLimit, resolveRun, validRunId } from '../resolve-run.js';
import { upstreamOf } from '../forward.js';
import { ancestorsOf, descendantsOf, renderChildren, spendByModel } from './run-tree.js';

/** How POST /budget/runs names a run's fields in refusals. */
const RUN_BODY_PARAMS = { runId: 'id', budget: 'limit_usd', parent: 'parent' } as const;

/** POST /budget/runs: a new run bound to the caller (or, for the admin, to `key_id`). */
export async function createRun(
  deps: PipelineDeps,
  caller: Caller,
  body: CreateRunBody,
): Promise<Record<string, unknown>> {
  const owner = caller.admin ? adminOwner(body) : { tenant: caller.principal.tenant, keyId: caller.principal.keyId };
  if (
    !caller.admin &&
    ((body.tenant !== undefined && body.tenant !== owner.tenant) ||
      (body.key_id !== undefined && body.key_id !== owner.keyId))
  ) {
    throw new RuncapError('forbidden', 'Only the admin token may create a run for another tenant or key.', {
      param: body.tenant !== undefined ? 'tenant' : 'key_id',
    });
  }
  const tenant = tenantPolicy(deps, owner.tenant);
  const runId = validRunId(body.id, 'id');
  // Nothing is written for a passthrough key the provider has not accepted (junk bearer strings).
  if (!caller.admin)
    await deps.keyVerdicts.requireAccepted(caller.principal, upstreamOf(deps, caller.principal.upstream));
  requestedRunLimit(tenant, body.limit_usd, 'limit_usd');
  const idleTtlMs = body.idle_ttl === undefined ? tenant.run.idleTtlMs : durationParam(body.idle_ttl, 'idle_ttl');
  const principal = { tenant: owner.tenant, keyId: owner.keyId };
  let run: RunRecord;
  try {
    run = await resolveRun(
      { open: (request) => storeCall(deps, 'open_run', () => deps.store.runs.open(request)) },
      tenant,
      {
        kind: 'virtual',
        userId: null,
        teamId: null,
        upstream: deps.config.defaultUpstream,
        providerKey: null,
        ...principal,
      },
      {
        runId,
        budgetUsd: body.limit_usd ?? null,
        tags: body.tags ?? {},
        createOnly: true,
        idleTtlMs,
        parentRunId: body.parent ?? null,
        params: RUN_BODY_PARAMS,
      },
    );
  } catch (error) {
    // Another principal's run with this id answers exactly as GET does for it: 404, so the
    // budget API never tells "someone else's" from "missing" (409 stays for the caller's own).
    // A parent of another principal is the spec's 403 run_principal_mismatch (docs/design.md §2).
    if (error instanceof RuncapError && error.code === 'run_principal_mismatch' && error.extra.param === 'id')
      throw notFound('run', runId ?? '');
    throw error;
  }
  deps.logger.info({ run_id: run.runId, tenant: run.tenant, limit_usd: formatUsd(run.limitMicros) }, 'run created');
  return runReport(deps, caller, run);
}

/** The run `runId` if the caller may see it; else 404 (never 403: ids do not leak). */
export async function visibleRun(
  deps: PipelineDeps,
  caller: Caller,
  runId: string,
  tenantParam: string | undefined,
): Promise<RunRecord> {
  const tenant = caller.admin ? (tenantParam ?? 'default') : caller.principal.tenant;
  const run = await storeCall(deps, 'get_run', () => deps.store.runs.get(tenant, runId));
  if (!run || !canSee(caller, run.tenant, run.keyId)) throw notFound('run', runId);
  return run;
}

/** POST /budget/runs/{id}/close: later calls get 403 run_closed; live holds settle normally. */
export async function closeRun(deps: PipelineDeps, caller: Caller, run: RunRecord): Promise<Record<string, unknown>> {
  const closed = await storeCall(deps, 'close_run', () => deps.store.runs.close(run.tenant, run.runId));
  if (!closed) throw notFound('run', run.runId);
  if (run.state === 'open') deps.logger.info({ run_id: run.runId, tenant: run.tenant }, 'run closed');
  return runReport(deps, caller, closed);
}

/**
 * Every scope the run draws on (the run, its ancestors, the key/user/team ceilings of its tenant),
 * its spend by model, its sub-agent runs and the changes of its ceiling. A run's scope counts its
 * descendants' spend too (their calls hold against it), so committed, reserved, calls and
 * models_used cover the run and all its sub-agent runs; `children` breaks that down per child.
 */
export async function runReport(deps: PipelineDeps, caller: Caller, run: RunRecord): Promise<Record<string, unknown>> {
  const tenant = tenantPolicy(deps, run.tenant);
  const facts = keyFacts(deps, caller, run.tenant, run.keyId);
  const specs = buildScopes(tenant, {
    runId: run.runId,
    runLimitMicros: run.limitMicros,
    keyId: run.keyId,
    ...facts,
    feature: null,
    ancestors: await ancestorsOf(deps, run),
  });
  const views = await storeCall(deps, 'view', () => deps.store.ledger.view(run.tenant, specs));
  const descendants = await descendantsOf(deps, run);
  const byModel = await spendByModel(deps, [run, ...descendants]);
  const history = await storeCall(deps, 'run_limit_history', () => deps.store.runs.limitHistory(run.tenant, run.runId));
  const runView: ScopeView | undefined = views.find((view) => view.type === 'run');
  return {
    ...renderRun(run, deps.clock()),
    committed_usd: formatUsd(runView?.committedMicros ?? 0),
    reserved_usd: formatUsd(runView?.reservedMicros ?? 0),
    remaining_usd: formatUsd(runView?.availableMicros ?? run.limitMicros),
    calls: byModel.reduce((sum, row) => sum + row.calls, 0),
    models_used: byModel.map((row) => ({ model: row.group, calls: row.calls, cost_usd: formatUsd(row.costMicros) })),
    children: await renderChildren(
      deps,
      descendants.filter((child) => child.parentRunId === run.runId),
    ),
    limit_history: history.map((change) => ({
      at: iso(change.atMs),
      changed_by: change.changedBy,
      from_usd: formatUsd(change.fromMicros),
      to_usd: formatUsd(change.toMicros),
    })),
    scopes: views.map(renderScope),
  };
}

/** A run's own fields, as the report and the listing render them. */
export function renderRun(run: RunRecord, nowMs: number): Record<string, unknown> {
  return {
    id: run.runId,
    tenant: run.tenant,
    key_id: run.keyId,
    state: run.state,
    active: run.state === 'open' && run.lastActivityAtMs + run.idleTtlMs > nowMs,
    limit_usd: formatUsd(run.limitMicros),
    parent_run_id: run.parentRunId,
    depth: run.depth,
    tags: run.tags,
    idle_ttl_ms: run.idleTtlMs,
    created_at: iso(run.createdAtMs),
    first_activity_at: iso(run.createdAtMs),
    last_activity_at: iso(run.lastActivityAtMs),
    idle_expires_at: run.state === 'open' ? iso(run.lastActivityAtMs + run.idleTtlMs) : null,
    closed_at: run.closedAtMs === null ? null : iso(run.closedAtMs),
  };
}

function adminOwner(body: CreateRunBody): { tenant: string; keyId: string } {
  if (body.key_id === undefined)
    throw invalidRequest('The admin token must name the key the run is bound to in key_id.', 'key_id');
  return { tenant: body.tenant ?? 'default', keyId: body.key_id };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
