// Spend attribution (docs/design.md §8 GET /budget/spend): validates the query, scopes it to what
// the caller may see (its own key; the admin: every tenant), renders exact decimal
// strings. Reads the store only; CSV rendering is http/csv.ts's.
import { RuncapError, invalidRequest } from '../../errors.js';
import type { SpendGroupBy, SpendQuery, SpendRow } from '../../ledger/index.js';
import { formatUsd } from '../../money/micros.js';
import type { Caller } from '../../principal.js';
import type { PipelineDeps } from '../deps.js';
import { timeParam } from './input.js';
import { storeCall } from './store-call.js';
import { validRunId } from '../resolve-run.js';

export const GROUP_BYS: readonly SpendGroupBy[] = ['run', 'key', 'user', 'team', 'feature', 'model'];
const DEFAULT_WINDOW_MS = 30 * 86_400_000;

/** The query string of GET /budget/spend, as given. */
export interface SpendParams {
  readonly group_by?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly run_id?: string | undefined;
  /** Admin only. */
  readonly tenant?: string | undefined;
  readonly key_id?: string | undefined;
}

export interface SpendReport {
  readonly group_by: SpendGroupBy;
  readonly from: string;
  readonly to: string;
  readonly tenant: string | null;
  readonly key_id: string | null;
  readonly run_id: string | null;
  readonly rows: readonly SpendReportRow[];
  readonly total_usd: string;
  readonly total_calls: number;
}

export interface SpendReportRow {
  readonly group: string | null;
  readonly cost_usd: string;
  readonly calls: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cached_input_tokens: number;
  readonly reasoning_tokens: number;
}

/** Turns the query string into a SpendQuery the caller is allowed to run (400/403 otherwise). */
export function spendQuery(deps: PipelineDeps, caller: Caller, params: SpendParams): SpendQuery {
  const groupBy = params.group_by ?? 'run';
  if (!isGroupBy(groupBy))
    throw invalidRequest(`group_by must be one of ${GROUP_BYS.join(', ')}; got "${groupBy}".`, 'group_by');
  const toMs = params.to === undefined ? deps.clock() : timeParam(params.to, 'to');
  const fromMs = params.from === undefined ? Math.max(0, toMs - DEFAULT_WINDOW_MS) : timeParam(params.from, 'from');
  if (fromMs >= toMs)
    throw invalidRequest(
      `from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()}).`,
      'from',
    );
  const runId = validRunId(params.run_id, 'run_id');
  if (caller.admin) {
    // One run's spend needs its tenant; "default" is the passthrough tenant.
    const tenant = params.tenant ?? (runId !== null ? 'default' : null);
    return { tenant, keyId: params.key_id ?? null, runId, groupBy, fromMs, toMs };
  }
  const { tenant, keyId } = caller.principal;
  if (
    (params.tenant !== undefined && params.tenant !== tenant) ||
    (params.key_id !== undefined && params.key_id !== keyId)
  ) {
    throw new RuncapError(
      'forbidden',
      "A key sees only its own spend; another tenant's or key's needs the admin token.",
      { param: params.tenant !== undefined ? 'tenant' : 'key_id' },
    );
  }
  return { tenant, keyId, runId, groupBy, fromMs, toMs };
}

export async function spendReport(deps: PipelineDeps, query: SpendQuery): Promise<SpendReport> {
  const rows = await storeCall(deps, 'spend', () => deps.store.spend.spend(query));
  return {
    group_by: query.groupBy,
    from: new Date(query.fromMs).toISOString(),
    to: new Date(query.toMs).toISOString(),
    tenant: query.tenant,
    key_id: query.keyId,
    run_id: query.runId ?? null,
    rows: rows.map(renderRow),
    total_usd: formatUsd(rows.reduce((sum, row) => sum + row.costMicros, 0)),
    total_calls: rows.reduce((sum, row) => sum + row.calls, 0),
  };
}

/** Column order of the CSV rendering (the JSON row's member names). */
export const SPEND_COLUMNS = [
  'group',
  'cost_usd',
  'calls',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
] as const satisfies readonly (keyof SpendReportRow)[];

function renderRow(row: SpendRow): SpendReportRow {
  return {
    group: row.group,
    cost_usd: formatUsd(row.costMicros),
    calls: row.calls,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_input_tokens: row.cachedInputTokens,
    reasoning_tokens: row.reasoningTokens,
  };
}

function isGroupBy(value: string): value is SpendGroupBy {
  return (GROUP_BYS as readonly string[]).includes(value);
}
