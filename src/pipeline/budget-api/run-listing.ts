// The budget API's listings (docs/api.md): GET /budget/runs (the caller's runs, or a tenant's for
// the admin, newest activity first, with their spend) and GET /budget/runs/{id}/calls (a run's
// decisions in order). Cursor pagination (./cursor.ts); the stores do the ordering.
import { RuncapError, invalidRequest } from '../../errors.js';
import type { RunRecord, RunState, StoredDecision } from '../../ledger/index.js';
import { formatUsd } from '../../money/micros.js';
import type { Caller } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';
import { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
import { descendantsOf, spendByModel } from './run-tree.js';
import { renderRun } from './runs.js';
import { storeCall } from './store-call.js';

const DEFAULT_RUNS_LIMIT = 100;
const MAX_RUNS_LIMIT = 1000;
const DEFAULT_CALLS_LIMIT = 100;
const MAX_CALLS_LIMIT = 1000;
const RUN_STATES: readonly RunState[] = ['open', 'closed'];

export interface ListRunsQuery {
  readonly tenant?: string | undefined;
  readonly key_id?: string | undefined;
  readonly state?: string | undefined;
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
}

/** GET /budget/runs: the caller's runs (admin: a tenant's, optionally one key's), newest activity first. */
export async function listRuns(
  deps: PipelineDeps,
  caller: Caller,
  query: ListRunsQuery,
): Promise<Record<string, unknown>> {
  const limit = pageLimit(query.limit, DEFAULT_RUNS_LIMIT, MAX_RUNS_LIMIT);
  const state = runState(query.state);
  if (!caller.admin && query.key_id !== undefined && query.key_id !== caller.principal.keyId)
    throw new RuncapError('forbidden', "Only the admin token may list another key's runs.", { param: 'key_id' });
  if (!caller.admin && query.tenant !== undefined && query.tenant !== caller.principal.tenant)
    throw new RuncapError('forbidden', "Only the admin token may list another tenant's runs.", { param: 'tenant' });
  const tenant = caller.admin ? (query.tenant ?? 'default') : caller.principal.tenant;
  const keyId = caller.admin ? (query.key_id ?? null) : caller.principal.keyId;
  const fingerprint = JSON.stringify(['runs', tenant, keyId, state]);
  const cursor = decodeCursor(query.cursor, fingerprint);
  // One more than asked tells whether another page follows.
  const runs = await storeCall(deps, 'list_runs', () =>
    deps.store.runs.list({
      tenant,
      keyId,
      state,
      limit: limit + 1,
      after: cursor ? { lastActivityAtMs: cursor.atMs, runId: cursor.id } : null,
    }),
  );
  const page = runs.slice(0, limit);
  const last = page[page.length - 1];
  return {
    runs: await renderRunSummaries(deps, page),
    next_cursor:
      runs.length > limit && last
        ? encodeCursor({ query: fingerprint, atMs: last.lastActivityAtMs, id: last.runId })
        : null,
  };
}

/** GET /budget/runs/{id}/calls: the run's decisions (each call, its settlement, or its refusal), in order. */
export async function listRunCalls(
  deps: PipelineDeps,
  run: RunRecord,
  query: { limit?: string | undefined; cursor?: string | undefined },
): Promise<Record<string, unknown>> {
  const limit = pageLimit(query.limit, DEFAULT_CALLS_LIMIT, MAX_CALLS_LIMIT);
  const fingerprint = JSON.stringify(['calls', run.tenant, run.runId]);
  const cursor = decodeCursor(query.cursor, fingerprint);
  const decisions = await storeCall(deps, 'run_calls', () =>
    deps.store.decisions.listByRun({
      tenant: run.tenant,
      runId: run.runId,
      limit: limit + 1,
      after: cursor ? { createdAtMs: cursor.atMs, id: cursor.id } : null,
    }),
  );
  const page = decisions.slice(0, limit);
  const last = page[page.length - 1];
  return {
    run_id: run.runId,
    calls: page.map(renderCall),
    next_cursor:
      decisions.length > limit && last
        ? encodeCursor({ query: fingerprint, atMs: last.createdAtMs, id: last.id })
        : null,
  };
}

function runState(text: string | undefined): RunState | null {
  if (text === undefined) return null;
  const state = RUN_STATES.find((candidate) => candidate === text);
  if (state === undefined) throw invalidRequest(`state must be one of: ${RUN_STATES.join(', ')}.`, 'state');
  return state;
}

/**
 * Each run with its counters, as its report has them: committed and reserved of its run scope (its
 * sub-agent runs' calls included, as they hold against it), calls and models of the run and its
 * descendants. One view for the page, the spend per run.
 */
async function renderRunSummaries(deps: PipelineDeps, runs: readonly RunRecord[]): Promise<Record<string, unknown>[]> {
  if (runs.length === 0) return [];
  const views = await storeCall(deps, 'view', () =>
    deps.store.ledger.view(
      runs[0]?.tenant ?? '',
      runs.map((run) => ({
        type: 'run' as const,
        id: run.runId,
        window: 'none' as const,
        limitMicros: run.limitMicros,
        mode: 'hard_gate' as const,
      })),
    ),
  );
  const nowMs = deps.clock();
  return Promise.all(
    runs.map(async (run, index) => {
      const view = views[index];
      const byModel = await spendByModel(deps, [run, ...(await descendantsOf(deps, run))]);
      return {
        ...renderRun(run, nowMs),
        committed_usd: formatUsd(view?.committedMicros ?? 0),
        reserved_usd: formatUsd(view?.reservedMicros ?? 0),
        remaining_usd: formatUsd(view?.availableMicros ?? run.limitMicros),
        calls: byModel.reduce((sum, row) => sum + row.calls, 0),
        models_used: byModel.map((row) => ({
          model: row.group,
          calls: row.calls,
          cost_usd: formatUsd(row.costMicros),
        })),
      };
    }),
  );
}

/** One call of a run, from its decision record (docs/design.md §5); block details only on refusals. */
function renderCall(decision: StoredDecision): Record<string, unknown> {
  const record = decision.record;
  const field = (name: string): unknown => record[name] ?? null;
  const usage = record['usage'];
  const used = (name: string): unknown =>
    typeof usage === 'object' && usage !== null ? (Reflect.get(usage, name) ?? null) : null;
  const refused = record['decision'] === 'block' || record['decision'] === 'throttle';
  return {
    decision_id: decision.id,
    at: new Date(decision.createdAtMs).toISOString(),
    endpoint: field('endpoint'),
    decision: field('decision'),
    state: field('state'),
    requested_model: field('requested_model'),
    selected_model: field('selected_model'),
    estimated_input_tokens: field('input_tokens'),
    input_tokens: used('input_tokens'),
    cached_input_tokens: used('cached_input_tokens'),
    output_tokens: used('output_tokens'),
    reasoning_tokens: used('reasoning_tokens'),
    estimate_usd: field('estimate_usd'),
    cost_usd: field('actual_usd'),
    usage_source: field('usage_source'),
    reservation_id: field('reservation_id'),
    settled_at: field('settled_at'),
    block: refused
      ? {
          code: field('code'),
          blocking_scope: field('blocking_scope'),
          brake: field('brake'),
          alternatives: field('alternatives') ?? [],
        }
      : null,
  };
}
