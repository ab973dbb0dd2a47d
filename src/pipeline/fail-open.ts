// The ledger-outage policy (SPEC §3.4): advisory tenants and tenants configured
// `on_ledger_down: fail_open` are forwarded without a hold; everyone else gets
// 503 `ledger_unavailable`. Loud either way: an error log, a metric, a header.
import { RuncapError } from '../errors.js';
import { H } from '../headers.js';
import { newDecisionId, newRunId } from '../ids.js';
import { formatUsd } from '../money/micros.js';
import { failsOpen } from '../policy/outage.js';
import { costMicros } from '../pricing/cost.js';
import { priceForServedTier } from '../pricing/service-tier.js';
import type { ParsedRequest } from '../proxy/adapter.js';
import { budgetHeaders, refusalState } from './decision.js';
import type { PipelineDeps } from './deps.js';
import { forward, upstreamOf } from './forward.js';
import type { LedgerDown } from './ledger-call.js';
import type { CallContext } from './call-context.js';
import type { SettleOutcome } from './settle-call.js';

export async function failOpenOrClosed(deps: PipelineDeps, context: CallContext, down: LedgerDown): Promise<Response> {
  const { tenant, table, call, principal } = context;
  const runId = context.runId ?? call.headers.get(H.runId) ?? newRunId();
  const open = failsOpen(tenant);
  const request = context.request as ParsedRequest;
  const plan = context.plan;
  const log = { operation: down.operation, tenant: tenant.name, run_id: runId, err: down.cause };
  if (!open || !plan) {
    deps.metrics.ledgerUnavailable.inc();
    deps.logger.error(log, 'ledger unavailable: call refused (fail closed)');
    const headers = budgetHeaders(refusalState({ mode: tenant.run.mode, priceTableVersion: table.version, runId }));
    throw new RuncapError(
      'ledger_unavailable',
      'The budget ledger is unreachable, and this tenant fails closed: the call was not forwarded. Retry shortly.',
      { headers },
    );
  }

  // The decision cannot be stored while the ledger is down: its id and outcome go to the log.
  const decisionId = newDecisionId();
  deps.metrics.failOpen.inc({ reason: down.operation });
  deps.metrics.decisions.inc({
    decision: 'allow',
    mode: tenant.run.mode,
    blocking_scope: 'none',
    endpoint: call.adapter.name,
  });
  deps.logger.error(
    { ...log, decision_id: decisionId, model: plan.price.model, estimate_usd: formatUsd(plan.amountMicros) },
    'ledger unavailable: call forwarded WITHOUT a budget hold (fail open)',
  );
  const state = {
    ...refusalState({ mode: tenant.run.mode, priceTableVersion: table.version, runId }),
    id: decisionId,
    kind: 'allow' as const,
    failOpen: true,
    selectedModel: plan.price.model,
  };
  const settle = async (outcome: SettleOutcome): Promise<void> => {
    // Nothing to commit against: record the spend in the log so it can be reconciled by hand.
    const spent =
      outcome.kind === 'usage'
        ? formatUsd(costMicros(priceForServedTier(plan.price, outcome.usage.serviceTier).price, outcome.usage))
        : outcome.kind === 'release'
          ? '0.00'
          : `<= ${formatUsd(plan.amountMicros)}`;
    deps.logger.error(
      {
        ...log,
        err: undefined,
        decision_id: decisionId,
        model: plan.price.model,
        unrecorded_spend_usd: spent,
        outcome: outcome.kind,
      },
      'fail-open call finished; its spend is not in the ledger',
    );
  };
  return forward(deps, {
    adapter: call.adapter,
    request,
    rawBody: call.body,
    preparedBody: call.adapter.prepareUpstream(
      request,
      request.hasOutput && plan.maxOutputTokens !== request.clientMaxOutputTokens
        ? { maxOutputTokens: plan.maxOutputTokens }
        : {},
    ),
    clientHeaders: call.headers,
    providerKey: principal.providerKey,
    upstream: upstreamOf(deps, principal.upstream),
    budgetHeaders: budgetHeaders(state),
    clientSignal: call.signal,
    abortClient: call.abortClient,
    reservationId: null,
    settle,
  });
}
