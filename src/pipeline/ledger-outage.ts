// The ledger-outage policy (docs/design.md §3.4), applied in one place for the proxy path and the budget
// API: advisory tenants and tenants configured `on_ledger_down: fail_open` go on without a hold;
// everyone else gets 503 `ledger_unavailable` with the refusal's X-Budget-* headers. Loud either
// way: an error log, a metric. What going on without a hold means is the caller's (the proxy
// forwards the call, the budget API answers allow).
import type { TenantPolicy } from '../config/types.js';
import { RuncapError } from '../errors.js';
import { failsOpen } from '../policy/outage.js';
import { budgetHeaders, refusalState } from './decision.js';
import type { PipelineDeps } from './deps.js';
import type { LedgerDown } from './ledger-call.js';

export interface Outage {
  readonly tenant: TenantPolicy;
  readonly priceTableVersion: string;
  readonly runId: string;
  readonly down: LedgerDown;
  /** What fail closed refuses: a proxied call or a budget API reservation. */
  readonly subject: 'call' | 'reservation';
  /** False when there is nothing to let through yet (a call refused before it was priced). */
  readonly canGoOn: boolean;
}

/** The fields of every outage log line; the fail-open path extends them. */
export interface OutageLog {
  readonly operation: string;
  readonly tenant: string;
  readonly run_id: string;
  readonly err: unknown;
}

const REFUSED = {
  call: 'the call was not forwarded',
  reservation: 'no reservation was made',
} as const;

/** Fail closed: throws the 503. Fail open: counts it and returns the log fields to go on with. */
export function failOpenOrClosed(deps: PipelineDeps, outage: Outage): OutageLog {
  const { tenant, down, runId, subject } = outage;
  const log: OutageLog = { operation: down.operation, tenant: tenant.name, run_id: runId, err: down.cause };
  if (!failsOpen(tenant) || !outage.canGoOn) {
    deps.metrics.ledgerUnavailable.inc();
    deps.logger.error(log, `ledger unavailable: ${subject} refused (fail closed)`);
    const state = refusalState({ mode: tenant.run.mode, priceTableVersion: outage.priceTableVersion, runId });
    throw new RuncapError(
      'ledger_unavailable',
      `The budget ledger is unreachable, and this tenant fails closed: ${REFUSED[subject]}. Retry shortly.`,
      { headers: budgetHeaders(state) },
    );
  }
  deps.metrics.failOpen.inc({ reason: down.operation });
  return log;
}
