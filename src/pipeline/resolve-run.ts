// Resolves the run a call belongs to (docs/design.md §2): validates X-Run-Id and
// X-Run-Budget-USD, binds a new run to its principal, refuses another principal's run.
import type { TenantPolicy } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { RunRecord, RunStore } from '../ledger/index.js';
import { parseUsd, formatUsd, MoneyError, type Micros } from '../money/micros.js';
import type { Principal } from '../principal.js';
import { newRunId } from '../ids.js';

export const RUN_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const SERVER_ISSUED_IDLE_TTL_MS = 1;

export function validRunId(runId: string | null | undefined, param = 'X-Run-Id'): string | null {
  if (runId === null || runId === undefined) return null;
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new RuncapError('invalid_run_id', `${param} must be 1-128 characters of [A-Za-z0-9._:-].`, { param });
  }
  return runId;
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
  readonly tags?: Readonly<Record<string, string>>;
  readonly createOnly?: boolean;
  readonly idleTtlMs?: number;
}

/** Opens (or finds) the run for a call; throws the docs/design.md §6 error for every refusal. */
export async function resolveRun(
  runs: Pick<RunStore, 'open'>,
  tenant: TenantPolicy,
  principal: Principal,
  request: RunRequest,
): Promise<RunRecord> {
  const named = validRunId(request.runId);
  const runId = named ?? newRunId();
  const limitMicros = requestedRunLimit(tenant, request.budgetUsd);
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
  });
  switch (outcome.kind) {
    case 'principal_mismatch':
      throw new RuncapError('run_principal_mismatch', `Run "${runId}" belongs to another principal.`, {
        param: 'X-Run-Id',
      });
    case 'too_many_active':
      throw new RuncapError(
        'too_many_active_runs',
        `This key already has ${outcome.active} active runs (the limit is ${tenant.run.maxActivePerKey}); close runs or let them idle out.`,
      );
    case 'exists':
      throw new RuncapError('conflict', `Run "${runId}" already exists.`, { param: 'id' });
    case 'created':
    case 'existing':
      if (outcome.run.state === 'closed')
        throw new RuncapError('run_closed', `Run "${runId}" is closed.`, { param: 'X-Run-Id' });
      return outcome.run;
  }
}
