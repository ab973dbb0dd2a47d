// Resolves the run a call belongs to (docs/design.md §2): validates X-Run-Id (or a coding agent's
// session header), X-Run-Budget-USD and X-Parent-Run-Id, binds a new run to its principal (and a sub-agent run under its parent),
// refuses another principal's run, and returns the run with the ancestors whose ceilings its
// calls also hold against.
import type { TenantPolicy } from '../config/types.js';
import { RuncapError, invalidRequest } from '../errors.js';
import { H } from '../headers.js';
import { MAX_RUN_DEPTH, type OpenRunOutcome, type RunStore } from '../ledger/index.js';
import { parseUsd, formatUsd, MoneyError, type Micros } from '../money/micros.js';
import type { Principal } from '../principal.js';
import { newRunId } from '../ids.js';
import type { KnownRun, KnownRuns } from './known-runs.js';

export const RUN_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const SERVER_ISSUED_IDLE_TTL_MS = 1;

export function validRunId(runId: string | null | undefined, param = 'X-Run-Id'): string | null {
  if (runId === null || runId === undefined) return null;
  // "." and ".." match the pattern but no URL can name them (/budget/runs/.. is /budget/).
  if (!RUN_ID_PATTERN.test(runId) || runId === '.' || runId === '..') {
    throw new RuncapError('invalid_run_id', `${param} must be 1-128 characters of [A-Za-z0-9._:-], not . or ..`, {
      param,
    });
  }
  return runId;
}

/** The run id a proxied call names, and the header that names it. */
export interface NamedRun {
  readonly runId: string | null;
  readonly header: string;
}

/**
 * X-Run-Id, else the first of the tenant's `run.id_headers` the call carries (a coding agent's
 * session id), else none. A session header sent empty counts as absent; X-Run-Id is checked as sent.
 */
export function namedRun(headers: { get(name: string): string | null }, tenant: TenantPolicy): NamedRun {
  const explicit = headers.get(H.runId);
  if (explicit !== null) return { runId: explicit, header: 'X-Run-Id' };
  for (const header of tenant.run.idHeaders) {
    const value = headers.get(header);
    if (value !== null && value !== '') return { runId: value, header };
  }
  return { runId: null, header: 'X-Run-Id' };
}

/** The ceiling a new run asks for, checked against the tenant maximum. */
export function requestedRunLimit(
  tenant: TenantPolicy,
  text: string | null | undefined,
  param = 'X-Run-Budget-USD',
): Micros {
  if (text === null || text === undefined) return tenant.run.defaultLimitMicros;
  let micros: Micros;
  try {
    micros = parseUsd(text, param);
  } catch (error) {
    if (error instanceof MoneyError) throw new RuncapError('invalid_request', error.message, { param });
    throw error;
  }
  if (micros === 0) throw invalidRequest(`${param} must be above zero.`, param);
  if (micros > tenant.run.maxLimitMicros) {
    throw new RuncapError(
      'run_budget_above_max',
      `${param} ${text} is above this tenant's maximum run budget of ${formatUsd(tenant.run.maxLimitMicros)} USD.`,
      { param },
    );
  }
  return micros;
}

export interface RunRequest {
  readonly runId: string | null;
  readonly budgetUsd: string | null;
  /** The parent a new run is a sub-agent of (X-Parent-Run-Id, or `parent` on the budget API). */
  readonly parentRunId?: string | null;
  /** How the request names the run's fields, for refusals: header names (proxy) or body fields. */
  readonly params?: { readonly runId: string; readonly budget: string; readonly parent: string };
  readonly tags?: Readonly<Record<string, string>>;
  readonly createOnly?: boolean;
  readonly idleTtlMs?: number;
}

/** A run as a call uses it: its record and its ancestors (parent first). */
export interface ResolvedRun extends KnownRun {
  /** Taken from KnownRuns without opening it: the reserve must check it (ReserveRequest.runCheck). */
  readonly unchecked?: true;
}

/** How a proxied call names the run's fields (runId: the header that named the run). */
export const RUN_HEADER_PARAMS = { runId: 'X-Run-Id', budget: 'X-Run-Budget-USD', parent: 'X-Parent-Run-Id' } as const;

/**
 * Opens (or finds) the run for a call; throws the docs/design.md §6 error for every refusal.
 * With `known`, a named run this instance opened before is returned unopened (`unchecked`), and
 * every run it opens is remembered there.
 */
export async function resolveRun(
  runs: Pick<RunStore, 'open'>,
  tenant: TenantPolicy,
  principal: Principal,
  request: RunRequest,
  known?: KnownRuns,
): Promise<ResolvedRun> {
  const params = request.params ?? RUN_HEADER_PARAMS;
  const named = validRunId(request.runId, params.runId);
  const parentRunId = validRunId(request.parentRunId, params.parent);
  const runId = named ?? newRunId();
  // A sub-agent run without a ceiling of its own gets what its parent has left (at most the tenant maximum).
  const inheritLimit = parentRunId !== null && (request.budgetUsd === null || request.budgetUsd === undefined);
  const limitMicros = inheritLimit
    ? tenant.run.maxLimitMicros
    : requestedRunLimit(tenant, request.budgetUsd, params.budget);
  if (known !== undefined && named !== null) {
    const run = known.get(tenant.name, runId, principal.keyId, parentRunId);
    if (run !== undefined) return Object.assign({}, run, { unchecked: true as const });
  }
  const outcome = await runs.open({
    tenant: tenant.name,
    runId,
    keyId: principal.keyId,
    limitMicros,
    // A run the server issued for a call without X-Run-Id is that one call: it does not
    // stay "active", so clients that never name runs are not locked out by the active-run cap.
    idleTtlMs: named === null ? SERVER_ISSUED_IDLE_TTL_MS : (request.idleTtlMs ?? tenant.run.idleTtlMs),
    maxActivePerKey: tenant.run.maxActivePerKey,
    tags: request.tags ?? {},
    createOnly: request.createOnly ?? false,
    parentRunId,
    inheritLimit,
  });
  if (outcome.kind === 'created' || outcome.kind === 'existing') {
    if (outcome.run.state === 'closed')
      throw new RuncapError('run_closed', `Run "${runId}" is closed.`, { param: params.runId });
    const closed = outcome.ancestors.find((ancestor) => ancestor.state === 'closed');
    if (closed !== undefined) {
      throw new RuncapError('run_closed', `Run "${runId}" is a sub-agent of run "${closed.runId}", which is closed.`, {
        param: params.runId,
      });
    }
    // Object.assign: `{ ...run, ancestors }` costs ~1.5 µs on Node 20 (a spread, then a property).
    const run: ResolvedRun = Object.assign({}, outcome.run, { ancestors: outcome.ancestors });
    if (known !== undefined && named !== null) known.set(tenant.name, run);
    return run;
  }
  throw refusal(outcome, { runId, parentRunId: parentRunId ?? '', tenant, params });
}

function refusal(
  outcome: Exclude<OpenRunOutcome, { kind: 'created' | 'existing' }>,
  context: { runId: string; parentRunId: string; tenant: TenantPolicy; params: NonNullable<RunRequest['params']> },
): RuncapError {
  const { runId, parentRunId, params } = context;
  const parent = { param: params.parent };
  switch (outcome.kind) {
    case 'principal_mismatch':
      return new RuncapError('run_principal_mismatch', `Run "${runId}" belongs to another principal.`, {
        param: params.runId,
      });
    case 'too_many_active':
      return new RuncapError(
        'too_many_active_runs',
        `This key already has ${outcome.active} active runs (the limit is ${context.tenant.run.maxActivePerKey}); close runs or let them idle out.`,
      );
    case 'exists':
      return new RuncapError('conflict', `Run "${runId}" already exists.`, { param: 'id' });
    case 'parent_not_found':
      return new RuncapError('not_found', `Parent run "${parentRunId}" does not exist; create it first.`, parent);
    case 'parent_principal_mismatch':
      return new RuncapError(
        'run_principal_mismatch',
        `Parent run "${parentRunId}" belongs to another principal; a sub-agent run must be created by its parent's principal.`,
        parent,
      );
    case 'parent_closed':
      return new RuncapError('run_closed', `Parent run "${parentRunId}" is closed.`, parent);
    case 'too_deep':
      return invalidRequest(
        `Parent run "${parentRunId}" is already ${MAX_RUN_DEPTH} levels below its root; a sub-agent run may have at most ${MAX_RUN_DEPTH} ancestors.`,
        params.parent,
      );
    case 'cycle':
      return invalidRequest(
        `Run "${runId}" cannot be a sub-agent of run "${parentRunId}": that run is "${runId}" itself or one of its sub-agents.`,
        params.parent,
      );
    case 'parent_conflict':
      return new RuncapError(
        'conflict',
        `Run "${runId}" already exists ${outcome.currentParentRunId === null ? 'as a root run' : `under parent run "${outcome.currentParentRunId}"`}; a run's parent cannot change.`,
        parent,
      );
  }
}
